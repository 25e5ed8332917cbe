package io.coord.spi;

import io.coord.CoordException;
import io.coord.LossReason;
import io.coord.NotLeaderException;
import io.coord.Primitive;
import io.coord.election.Leadership;
import java.util.concurrent.CompletableFuture;

/** The {@link Leadership} of every backend: the queue entry of a candidacy that reached the head of the queue. */
final class SessionLeadership extends HeldBase implements Leadership {

    private volatile String value;

    SessionLeadership(SessionBase session, String claimKey, String name, long term, QueueEntry entry, String value) {
        super(session, Primitive.ELECTION, claimKey, name, term, entry);
        this.value = value;
    }

    @Override
    public String electionName() {
        return name();
    }

    @Override
    public long term() {
        return token();
    }

    @Override
    public String value() {
        return value;
    }

    @Override
    public boolean isLeader() {
        return isHeldNow();
    }

    @Override
    public void proclaim(String newValue) {
        Arguments.value(newValue);
        if (!isHeldNow()) {
            throw new NotLeaderException("cannot proclaim in election '" + name() + "': this leadership (term " + term()
                    + ") was resigned or lost");
        }
        boolean done;
        try {
            done = awaitReply(entry.replaceValue(newValue));
        } catch (CoordException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.coord.BackendUnavailableException("interrupted while proclaiming in election '" + name() + "'", e);
        } catch (Exception e) {
            throw new io.coord.BackendUnavailableException("proclaim in election '" + name() + "' failed: " + e, e);
        }
        if (!done) {
            markLost(LossReason.ENTRY_DELETED);
            throw new NotLeaderException("cannot proclaim in election '" + name() + "': the leader entry (term " + term()
                    + ") is gone on the server");
        }
        value = newValue;
    }

    @Override
    public CompletableFuture<LossReason> whenLost() {
        return lossSignal();
    }

    @Override
    public void resign() {
        releaseEntry();
    }

    @Override
    public void close() {
        releaseEntry();
    }

    @Override
    CoordException lostError(LossReason reason) {
        return new NotLeaderException("leadership of election '" + name() + "' (term " + term() + ") was lost before resigning: " + reason);
    }

    static String claimKey(String name) {
        return Primitive.ELECTION + ":" + name;
    }

    @Override
    public String toString() {
        return "leadership of '" + name() + "' (term " + term() + (isLeader() ? ", leading)" : ", not leading)");
    }
}
