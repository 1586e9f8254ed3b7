//go:build unix

package orchestra

import (
	"io/fs"
	"os"
	"syscall"
)

// A fileOwner is the owner and group of a file that is replaced, so that
// the new file keeps them: the daemon must still read a task file after a
// trustee ran eotasks as root.
type fileOwner struct {
	uid, gid int
	ok       bool
}

func ownerOf(fi fs.FileInfo) fileOwner {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileOwner{}
	}
	return fileOwner{uid: int(st.Uid), gid: int(st.Gid), ok: true}
}

// apply gives f the owner o, if it has another one.
func (o fileOwner) apply(f *os.File) error {
	if !o.ok {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if now := ownerOf(fi); now == o {
		return nil
	}
	return f.Chown(o.uid, o.gid)
}
