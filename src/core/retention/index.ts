// The retention face (docs/privacy.md): how long documents and the log's personal fields are kept.
export {}
