// Package record stores eo's election records: it writes and reads them as
// a directory or as a deterministic tally.tar.gz (sorted names, fixed
// modification time, owner and mode, gzip without a name or timestamp),
// and verifies them. doc/record.md specifies every file.
package record
