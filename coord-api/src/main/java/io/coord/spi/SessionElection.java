package io.coord.spi;

import io.coord.Primitive;
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
 * The {@link Election} of every backend: a campaign is an acquisition of a queue entry carrying the
 * candidate's value, under {@link GrantRule#FIRST_IN_LINE} (same cancellation rules as locks);
 * reading and observing are delegated to the backend's view.
 */
final class SessionElection implements Election {

    private final SessionBase session;
    private final ElectionView view;
    private final Function<String, QueueEntry> candidates;
    private final Acquisitions.Target target;

    /**
     * @param view       the backend's read-only view of this election
     * @param candidates a new, not yet enqueued entry announcing the given value
     */
    SessionElection(SessionBase session, ElectionView view, Function<String, QueueEntry> candidates) {
        this.session = session;
        this.view = view;
        this.candidates = candidates;
        this.target = new Acquisitions.Target(session, Primitive.ELECTION, view.name(), SessionLeadership.claimKey(view.name()),
                "a candidacy in election '" + view.name() + "'", GrantRule.FIRST_IN_LINE);
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
        QueueEntry c = candidates.apply(value);
        return Acquisitions.blocking(target, c, (term, slot) -> lead(c, term, value));
    }

    @Override
    public Optional<Leadership> campaign(String value, Duration timeout) throws InterruptedException {
        Arguments.value(value);
        Arguments.timeout(timeout);
        session.ensureLive();
        QueueEntry c = candidates.apply(value);
        return Acquisitions.timed(target, c, timeout, (term, slot) -> lead(c, term, value)).map(l -> l);
    }

    @Override
    public CompletableFuture<Leadership> campaignAsync(String value) {
        Arguments.value(value);
        session.ensureLive();
        QueueEntry c = candidates.apply(value);
        @SuppressWarnings("unchecked")
        CompletableFuture<Leadership> future = (CompletableFuture<Leadership>) (CompletableFuture<?>)
                Acquisitions.async(target, c, (term, slot) -> lead(c, term, value));
        return future;
    }

    private SessionLeadership lead(QueueEntry c, long term, String value) {
        return new SessionLeadership(session, target.claimKey(), name(), term, c, value);
    }
}
