package io.coord.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.coord.CoordObserver;
import io.coord.Primitive;
import io.coord.SessionState;
import io.coord.election.ElectionView;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A session its caller never gets (the coordinator closed while it was being opened) is not reported to observers at
 * all: no sessionOpened, no ACTIVE→CLOSED. The backend here is a stand-in that answers every request at once; it only
 * drives the SPI's own bookkeeping, which is what is under test (the kits test real backends).
 */
class OpenSessionObserverTest {

    /** Answers at once; {@code closeWhileOpening} closes the coordinator from inside createSession, as a racing close would. */
    private static final class InstantCoordinator extends CoordinatorBase {
        boolean closeWhileOpening;

        InstantCoordinator() {
            super("instant", "test", Set.of(), Duration.ofSeconds(1));
        }

        @Override
        protected SessionBase createSession(Duration ttl) {
            SessionBase s = new SessionBase(this, "s" + System.nanoTime(), ttl, ttl, System.nanoTime()) {
                @Override
                protected CompletableFuture<Boolean> renewOnce() {
                    return CompletableFuture.completedFuture(true);
                }

                @Override
                protected CompletableFuture<Void> revoke() {
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                protected QueueEntry newEntry(Primitive primitive, String name, String value) {
                    throw new UnsupportedOperationException("no queues in this test");
                }

                @Override
                protected CompletableFuture<io.coord.group.Member> joinGroup(String group, String memberId, String metadata) {
                    throw new UnsupportedOperationException("no groups in this test");
                }

                @Override
                protected CompletableFuture<java.util.Optional<io.coord.group.Member>> updateMember(String group,
                        io.coord.group.Member current, String metadata) {
                    throw new UnsupportedOperationException("no groups in this test");
                }

                @Override
                protected CompletableFuture<Boolean> leaveGroup(String group, io.coord.group.Member current) {
                    throw new UnsupportedOperationException("no groups in this test");
                }
            };
            if (closeWhileOpening) {
                close();
            }
            return s;
        }

        @Override
        protected ElectionView createElectionView(String name) {
            throw new UnsupportedOperationException("no elections in this test");
        }

        @Override
        protected GroupViewBase createGroupView(String name) {
            throw new UnsupportedOperationException("no groups in this test");
        }

        @Override
        protected void closeClient() {
        }
    }

    private static final class Recorder implements CoordObserver {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void sessionOpened(String sessionId) {
            events.add("opened " + sessionId);
        }

        @Override
        public void sessionStateChanged(String sessionId, SessionState previous, SessionState current) {
            events.add(sessionId + " " + previous + "->" + current);
        }
    }

    @Test
    void aSessionOpenedWhileTheCoordinatorClosesIsNotReported() {
        InstantCoordinator c = new InstantCoordinator();
        Recorder r = new Recorder();
        c.addObserver(r);
        c.closeWhileOpening = true;
        assertThrows(IllegalStateException.class, () -> c.openSession(Duration.ofSeconds(10)));
        assertTrue(r.events.isEmpty(), "nothing reported of a session the caller never got: " + r.events);
    }

    @Test
    void aReturnedSessionIsReportedOpenedThenClosedOnce() {
        InstantCoordinator c = new InstantCoordinator();
        Recorder r = new Recorder();
        c.addObserver(r);
        var s = c.openSession(Duration.ofSeconds(10));
        s.close();
        c.close();
        assertEquals(List.of("opened " + s.id(), s.id() + " ACTIVE->CLOSED"), r.events);
        assertEquals(0, c.stats().held(Primitive.SESSION));
    }
}
