package io.coord;

/** The primitives whose server round trips and waiter wake-ups {@link CoordStats} counts separately. */
public enum Primitive {
    SESSION, LOCK, FAIR_LOCK, ELECTION
}
