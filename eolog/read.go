package eolog

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"time"
)

// blockSize is how much Tail and Follow read at a time.
const blockSize = 64 << 10

// Tail returns the last n events of the log in r that f matches, oldest
// first: all of them if n is negative, none if it is zero. It reads r
// backwards from its end, one block of 64 KiB at a time, and stops as soon
// as it has n events, so its cost depends on how far back they are, not on
// the size of the log. It also returns how many malformed lines it skipped
// among those it read: lines that ParseEvent rejects and lines longer than
// 8 MiB. Blank lines are ignored. A last line without a line ending is
// read like the others.
func Tail(r io.ReadSeeker, n int, f Filter) (events []Event, malformed int, err error) {
	if n == 0 {
		return nil, 0, nil
	}
	end, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, 0, err
	}
	done := false
	handle := func(line []byte) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			return
		}
		if len(line) > maxLine {
			malformed++
			return
		}
		e, err := ParseEvent(line)
		if err != nil {
			malformed++
			return
		}
		if f.Match(e) {
			events = append(events, e)
			done = n > 0 && len(events) >= n
		}
	}
	var (
		buf      []byte
		retained bool // buf is part of carry
		// carry is the beginning of the line that starts before the
		// block being read, which holds its end: pieces of the blocks
		// read, the last one first, carryLen bytes in all.
		carry    [][]byte
		carryLen int
		// dropping is set while reading back over a line too long to keep.
		dropping bool
	)
	// join returns seg followed by carry and empties carry.
	join := func(seg []byte) []byte {
		if carryLen == 0 {
			return seg
		}
		line := make([]byte, 0, len(seg)+carryLen)
		line = append(line, seg...)
		for i := len(carry) - 1; i >= 0; i-- {
			line = append(line, carry[i]...)
		}
		carry, carryLen = carry[:0], 0
		return line
	}
	for end > 0 && !done {
		start := max(0, end-blockSize)
		if retained || buf == nil {
			buf, retained = make([]byte, blockSize), false
		}
		block := buf[:end-start]
		if _, err := r.Seek(start, io.SeekStart); err != nil {
			return nil, 0, err
		}
		if _, err := io.ReadFull(r, block); err != nil {
			return nil, 0, err
		}
		i, first := len(block), true
		for !done {
			j := bytes.LastIndexByte(block[:i], '\n')
			if j < 0 {
				break
			}
			switch {
			case !first:
				handle(block[j+1 : i])
			case dropping:
				dropping = false
			default:
				handle(join(block[j+1 : i]))
			}
			i, first = j, false
		}
		head := block[:i]
		switch {
		case done:
		case dropping:
		case start == 0:
			handle(join(head))
		case carryLen+len(head) > maxLine:
			malformed++
			dropping = true
			carry, carryLen = carry[:0], 0
		case len(head) > 0:
			carry, carryLen, retained = append(carry, head), carryLen+len(head), true
		}
		end = start
	}
	slices.Reverse(events)
	return events, malformed, nil
}

// LastLineEnd returns the offset just after the last line ending in the
// first size bytes of r, or 0 if there is none: where to start Follow so
// as to neither miss nor split a line that is being written.
func LastLineEnd(r io.ReaderAt, size int64) (int64, error) {
	buf := make([]byte, blockSize)
	for end := size; end > 0; {
		start := max(0, end-blockSize)
		b := buf[:end-start]
		if n, err := r.ReadAt(b, start); err != nil && !(err == io.EOF && n == len(b)) {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if j := bytes.LastIndexByte(b, '\n'); j >= 0 {
			return start + int64(j) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// pollInterval is how often Follow looks at the file.
var pollInterval = 200 * time.Millisecond

// testHookFollowing, if not nil, is called when Follow knows where it
// starts.
var testHookFollowing func()

// Follow reads the events appended to the log file at path and calls out
// with each one that f matches, in order, until ctx is done; it then
// returns nil. It starts at offset from, which must be the start of a line
// (0, or what LastLineEnd returns); a negative from means the end of the
// last complete line, and one past the end of the file means 0.
//
// It looks at the file every 200 ms. It calls out only for complete lines:
// a line being written is read once its line ending is. When the file
// shrinks (truncated in place), Follow reads it again from its start. When
// path names another file (rotated: renamed or removed, then created
// again), Follow reads what was left of the old file, its last line even
// without a line ending, then the new file from its start; while path
// names no file it keeps reading the old one. Truncation followed by
// growth past the offset reached between two looks goes unnoticed.
//
// It skips malformed lines and, when malformed is not nil, calls it with
// each. It returns an error only if it cannot open the file at first or
// cannot read it.
func Follow(ctx context.Context, path string, f Filter, from int64, out func(Event), malformed func(*LineError)) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	fl := &follower{path: path, file: file, filter: f, out: out, malformed: malformed, buf: make([]byte, blockSize)}
	defer func() { fl.file.Close() }()
	fi, err := file.Stat()
	if err != nil {
		return err
	}
	if from < 0 {
		if from, err = LastLineEnd(file, fi.Size()); err != nil {
			return err
		}
	} else if from > fi.Size() {
		from = 0
	}
	fl.pos, fl.lineStart = from, from
	if testHookFollowing != nil {
		testHookFollowing()
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if err := fl.drain(ctx); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		again, err := fl.check(ctx)
		if err != nil {
			return err
		}
		if again {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

type follower struct {
	path      string
	file      *os.File
	filter    Filter
	out       func(Event)
	malformed func(*LineError)
	buf       []byte

	pos       int64  // the offset of the next byte to read
	lineStart int64  // the offset of the line being read
	pending   []byte // the part of it already read
	dropping  bool   // set while skipping a line too long
}

// drain reads the file up to its end.
func (fl *follower) drain(ctx context.Context) error {
	for ctx.Err() == nil {
		n, err := fl.file.ReadAt(fl.buf, fl.pos)
		fl.consume(fl.buf[:n], fl.pos)
		fl.pos += int64(n)
		if err == io.EOF || (err == nil && n == 0) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// consume takes in p, read at offset off, and handles the lines it ends.
func (fl *follower) consume(p []byte, off int64) {
	for len(p) > 0 {
		j := bytes.IndexByte(p, '\n')
		if j < 0 {
			if !fl.dropping {
				fl.pending = append(fl.pending, p...)
				if len(fl.pending) > maxLine {
					fl.report(fl.lineStart, fl.pending, errTooLong)
					fl.pending, fl.dropping = fl.pending[:0], true
				}
			}
			return
		}
		if fl.dropping {
			fl.dropping = false
		} else {
			fl.pending = append(fl.pending, p[:j]...)
			fl.emit()
		}
		fl.pending = fl.pending[:0]
		p, off = p[j+1:], off+int64(j)+1
		fl.lineStart = off
	}
}

// emit handles the line in pending.
func (fl *follower) emit() {
	line := bytes.TrimSuffix(fl.pending, []byte("\r"))
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	if len(line) > maxLine {
		fl.report(fl.lineStart, line, errTooLong)
		return
	}
	e, err := ParseEvent(line)
	if err != nil {
		fl.report(fl.lineStart, line, err)
		return
	}
	if fl.filter.Match(e) {
		fl.out(e)
	}
}

func (fl *follower) report(off int64, line []byte, err error) {
	if fl.malformed != nil {
		fl.malformed(newLineError(off, line, err))
	}
}

// check looks for a file replaced or truncated, and reports whether to
// read again at once.
func (fl *follower) check(ctx context.Context) (bool, error) {
	cur, err := fl.file.Stat()
	if err != nil {
		return false, err
	}
	st, err := os.Stat(fl.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case !os.SameFile(cur, st):
		next, err := os.Open(fl.path)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		} else if err != nil {
			return false, err
		}
		// Finish the old file, its last line included.
		if err := fl.drain(ctx); err != nil {
			next.Close()
			return false, err
		}
		if !fl.dropping {
			fl.emit()
		}
		fl.file.Close()
		fl.file = next
		fl.reset()
		return true, nil
	case cur.Size() < fl.pos:
		fl.reset()
		return true, nil
	}
	return false, nil
}

func (fl *follower) reset() {
	fl.pos, fl.lineStart, fl.pending, fl.dropping = 0, 0, fl.pending[:0], false
}
