"""FIX 4.4 engine: codec, dictionary validation, session layer, stores, transports.

Layers (each usable on its own):

    codec/        framing (BodyLength/CheckSum), RawMessage, encode, timestamps,
                  tag names, typed messages -- the only place with raw tag numbers
    dictionary    FIX 4.4 data dictionary (compact built-in, or QuickFIX XML)
    validation    QuickFIX-compatible checks -> session Reject reasons
    session       sans-I/O session state machine (bytes in, bytes out, deadlines)
    store         MemoryStore, FileStore (append-only, fsync always/batch/never)
    transport     asyncio Acceptor (many sessions) and Initiator (reconnect), TLS
    acceptance    the QuickFIX acceptance-test profile (ISLD <- TW44)
    ping          logon / TestRequest / Heartbeat / logout diagnostics
"""
