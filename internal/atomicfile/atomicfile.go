// Package atomicfile writes and removes files so that a reader, or a machine
// that loses power, sees either the old content or the new one, never a mix.
//
// A write goes to a temporary file in the same directory (named
// ".<name>.tmp-<random>", so that directory scanners can skip it by its
// leading dot), which is synced, given its final mode, renamed over the
// target, and then the directory itself is synced so that the rename is
// durable. Removal syncs the directory too.
//
// The package works on POSIX file systems. Concurrent writers of one name do
// not corrupt it: the last rename wins. Callers that need read-modify-write
// consistency must lock on their own.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile atomically replaces name with data, with permissions perm (not
// filtered by the umask).
func WriteFile(name string, data []byte, perm fs.FileMode) error {
	return Write(name, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteKeepingOwner is Write that gives the new file the owner and group
// of the file it replaces, if any: a file that root rewrites for a
// service's user (a task file of the daemon's, a web server's keystore)
// stays readable to that user.
func WriteKeepingOwner(name string, perm fs.FileMode, write func(w io.Writer) error) error {
	old, err := os.Stat(name)
	if err != nil {
		return Write(name, perm, write)
	}
	return Write(name, perm, func(w io.Writer) error {
		if f, ok := w.(*os.File); ok {
			if err := chownLike(f, old); err != nil {
				return fmt.Errorf("atomicfile: keeping the owner of %s: %w", name, err)
			}
		}
		return write(w)
	})
}

// Write atomically replaces name with what write writes, with permissions
// perm (not filtered by the umask). If write returns an error, the target is
// left untouched, the temporary file is removed and the error is returned.
func Write(name string, perm fs.FileMode, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return fmt.Errorf("atomicfile: %q names no file", name)
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	return SyncDir(dir)
}

// Remove removes name and syncs its directory, so that the removal survives
// a crash. A name that does not exist is an error wrapping fs.ErrNotExist.
func Remove(name string) error {
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	dir := filepath.Dir(name)
	return SyncDir(dir)
}

// SyncDir flushes a directory's entries (creations, renames, removals) to
// stable storage.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	err = d.Sync()
	// Some file systems refuse to sync directories; the rename is done and
	// there is nothing better to do about it.
	if errors.Is(err, os.ErrInvalid) || errors.Is(err, errNotSupported) {
		err = nil
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("atomicfile: sync %s: %w", dir, err)
	}
	return nil
}
