package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces path with data so that a reader, or the device
// after a power cut, sees either the old or the new content, never a mix:
// it writes a temporary file in the same directory, fsyncs it, renames it
// over path and fsyncs the directory so the rename itself is durable.
//
// An existing file keeps its permission bits (an operator's chmod survives
// a save); perm applies only when path does not exist yet. A symlink at
// path is followed and its target replaced, so a link into a data
// partition keeps working. An error returned after the rename means the
// new content is in place but may not survive a power cut.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	target, mode, err := atomicTarget(path, perm)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	f, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	tmp := f.Name()
	if err := writeSynced(f, data, mode); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, target); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("config: write %s: sync directory: %w", path, err)
	}
	return nil
}

// atomicTarget resolves symlinks and picks the mode for the new file.
func atomicTarget(path string, perm os.FileMode) (string, os.FileMode, error) {
	target := path
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return "", 0, fmt.Errorf("config: write %s: %w", path, err)
		}
	}
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return target, perm.Perm(), nil
	case err != nil:
		return "", 0, fmt.Errorf("config: write %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return "", 0, fmt.Errorf("config: write %s: not a regular file", path)
	}
	return target, fi.Mode().Perm(), nil
}

// writeSynced writes, sets the mode and fsyncs, then closes f. Chmod on
// the descriptor sets the exact bits regardless of the umask.
func writeSynced(f *os.File, data []byte, mode os.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
