"""Long examples of the docs pages, as real test modules (pages include them with --8<--)."""
