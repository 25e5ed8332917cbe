package io.coord.examples.crontab;

import java.util.ArrayList;
import java.util.List;

/**
 * One crontab entry: a job due at every tick of the {@link Worker.Schedule}, on shard {@code index % shards}.
 * Two of them misbehave on purpose, so that the story shows the retry path: the flaky one fails the first attempt
 * of one tick and succeeds on its retry; the failing one fails every attempt from its tick on, so that after three
 * retries its alert is raised and it is paused.
 *
 * @param failsFrom the first tick whose every attempt fails; 0 = none
 * @param flakyAt   the tick whose first attempt fails (its retry succeeds); 0 = none
 */
record Job(int index, String name, int shard, long failsFrom, long flakyAt) {

    private static final String[] NAMES = {
        "backup", "cache-warm", "reports", "digest-mail", "metrics-rollup", "sitemap", "cleanup", "search-index"};

    /** The failing job's name; it is always the last job. */
    static final String FAILING = "invoice-export";

    /**
     * The crontab of a run: job 0 is the one whose owner crashes, job 1 (with three jobs or more) is flaky at
     * {@code failFrom + 1}, the last job fails from {@code failFrom} on (0: no job fails).
     */
    static List<Job> crontab(int jobs, int shards, long failFrom) {
        List<Job> crontab = new ArrayList<>(jobs);
        for (int j = 0; j < jobs; j++) {
            boolean failing = failFrom > 0 && j == jobs - 1;
            String name = failing ? FAILING : j < NAMES.length ? NAMES[j] : "job-" + j;
            long flaky = failFrom > 0 && jobs >= 3 && j == 1 ? failFrom + 1 : 0;
            crontab.add(new Job(j, name, j % shards, failing ? failFrom : 0, flaky));
        }
        return List.copyOf(crontab);
    }

    /** Whether attempt {@code attempt} (1 = the first, then one per retry) of {@code tick} succeeds. */
    boolean succeeds(long tick, int attempt) {
        if (failsFrom > 0 && tick >= failsFrom) {
            return false;
        }
        return !(tick == flakyAt && attempt == 1);
    }
}
