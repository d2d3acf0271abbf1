package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// onlyFiles asserts dir holds exactly the named entries: no temp file may
// survive a write, successful or not.
func onlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !reflect.DeepEqual(got, names) {
		t.Errorf("directory holds %v, want %v", got, names)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func modeOf(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestWriteFileAtomic(t *testing.T) {
	tests := []struct {
		name     string
		existing *os.FileMode // nil: no file before
		perm     os.FileMode
		wantMode os.FileMode
	}{
		{"creates with perm, ignoring umask", nil, 0o640, 0o640},
		{"replaces and keeps existing mode", ptr(os.FileMode(0o644)), 0o600, 0o644},
		{"keeps a restrictive mode", ptr(os.FileMode(0o400)), 0o644, 0o400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "cam.yaml")
			if tc.existing != nil {
				if err := os.WriteFile(p, []byte("old content that is longer"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(p, *tc.existing); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteFileAtomic(p, []byte("new"), tc.perm); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, p); got != "new" {
				t.Errorf("content = %q, want new", got)
			}
			if got := modeOf(t, p); got != tc.wantMode {
				t.Errorf("mode = %v, want %v", got, tc.wantMode)
			}
			onlyFiles(t, dir, "cam.yaml")
		})
	}
}

func TestWriteFileAtomicFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.yaml")
	link := filepath.Join(dir, "link.yaml")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.yaml", link); err != nil {
		t.Skip("symlinks unsupported:", err)
	}
	if err := WriteFileAtomic(link, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("symlink replaced by a file (err %v)", err)
	}
	if got := readFile(t, target); got != "new" {
		t.Errorf("target content = %q", got)
	}
	onlyFiles(t, dir, "link.yaml", "real.yaml")
}

func TestWriteFileAtomicErrors(t *testing.T) {
	t.Run("target is a directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := WriteFileAtomic(filepath.Join(dir, "sub"), []byte("x"), 0o600); err == nil {
			t.Error("wrote over a directory")
		}
		onlyFiles(t, dir, "sub")
	})
	t.Run("missing directory", func(t *testing.T) {
		if err := WriteFileAtomic(filepath.Join(t.TempDir(), "no", "cam.yaml"), []byte("x"), 0o600); err == nil {
			t.Error("wrote into a missing directory")
		}
	})
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cam.yaml")
	c := Default()
	c.Users = []User{{Name: "admin", Password: "abcdefgh", Role: "administrator"}}
	if err := Save(p, c); err != nil {
		t.Fatal(err)
	}
	if got := modeOf(t, p); got != 0o600 {
		t.Errorf("new config mode = %v, want 0600 (it holds passwords)", got)
	}
	loaded, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(loaded, c) {
		t.Errorf("Load(Save(c)) = %+v, want %+v", loaded, c)
	}

	before := readFile(t, p)
	bad := Default()
	bad.RTSP.MaxReaders = 0
	if err := Save(p, bad); err == nil {
		t.Error("saved an invalid config")
	}
	if readFile(t, p) != before {
		t.Error("a refused save changed the file")
	}
	onlyFiles(t, dir, "cam.yaml")
}
