package io.coord.spi;

import io.coord.Subscription;
import io.coord.election.Election;
import io.coord.election.ElectionView;
import io.coord.election.Leader;
import io.coord.election.LeaderListener;
import io.coord.election.Leadership;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The {@link Election} of every backend: campaigns are acquisitions of a {@link Candidate} entry
 * (same cancellation rules as locks); reading and observing are delegated to the backend's view.
 */
public final class SessionElection implements Election {

    private final SessionBase session;
    private final ElectionView view;
    private final Function<String, Candidate> candidates;
    private final String claimKey;

    /**
     * @param view       the backend's read-only view of this election
     * @param candidates a new, not yet enqueued candidate entry announcing the given value
     */
    public SessionElection(SessionBase session, ElectionView view, Function<String, Candidate> candidates) {
        this.session = session;
        this.view = view;
        this.candidates = candidates;
        this.claimKey = SessionLeadership.claimKey(view.name());
    }

    @Override
    public String name() {
        return view.name();
    }

    @Override
    public Optional<Leader> leader() {
        session.coordinator().ensureOpen();
        return view.leader();
    }

    @Override
    public Subscription observe(LeaderListener listener) {
        Arguments.notNull("leader listener", listener);
        session.coordinator().ensureOpen();
        return view.observe(listener);
    }

    @Override
    public Leadership campaign(String value) throws InterruptedException {
        Arguments.value(value);
        session.ensureLive();
        Candidate c = candidates.apply(value);
        return Acquisitions.blocking(session, claimKey, describe(), c, term -> lead(c, term, value));
    }

    @Override
    public Optional<Leadership> campaign(String value, Duration timeout) throws InterruptedException {
        Arguments.value(value);
        Arguments.timeout(timeout);
        session.ensureLive();
        Candidate c = candidates.apply(value);
        return Acquisitions.timed(session, claimKey, describe(), c, timeout, term -> lead(c, term, value)).map(l -> l);
    }

    @Override
    public CompletableFuture<Leadership> campaignAsync(String value) {
        Arguments.value(value);
        session.ensureLive();
        Candidate c = candidates.apply(value);
        @SuppressWarnings("unchecked")
        CompletableFuture<Leadership> future = (CompletableFuture<Leadership>) (CompletableFuture<?>)
                Acquisitions.async(session, claimKey, describe(), c, term -> lead(c, term, value));
        return future;
    }

    private SessionLeadership lead(Candidate c, long term, String value) {
        return new SessionLeadership(session, claimKey, name(), term, c, value);
    }

    private String describe() {
        return "a candidacy in election '" + name() + "'";
    }
}
