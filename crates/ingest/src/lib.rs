//! Streaming parse of native files → pseudonymize → link persons → write the warehouse atomically.
