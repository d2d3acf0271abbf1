package layering

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "camagent"

// rules: for each package (prefix match on the path inside the module), the
// imports it must never have, directly or through our own packages.
var forbidden = map[string][]string{
	"media":      {module + "/"},
	"auth":       {module + "/capture", module + "/encode", module + "/stream", module + "/config", module + "/app"},
	"config":     {module + "/capture", module + "/encode", module + "/stream", module + "/auth", module + "/app"},
	"capture":    {"net", "net/http", module + "/stream", module + "/encode", module + "/onvif", module + "/telemetry", module + "/app"},
	"encode":     {"net", "net/http", module + "/stream", module + "/capture", module + "/onvif", module + "/telemetry", module + "/app"},
	"stream":     {module + "/capture", module + "/encode", module + "/app"},
	"onvif":      {module + "/capture", module + "/encode", module + "/telemetry", module + "/stream", module + "/config", module + "/media"},
	"telemetry":  {module + "/capture", module + "/encode", module + "/stream", module + "/auth", module + "/app", module + "/media"},
	"cmd/camctl": {module + "/app", module + "/capture", module + "/encode", module + "/stream", module + "/auth", module + "/media"},
	"device":     {module + "/app", module + "/config", module + "/capture", module + "/encode", module + "/stream", module + "/onvif", module + "/telemetry"},
	"internal":   {module + "/app", module + "/stream", module + "/encode", module + "/capture"},
}

// Only the composition root and the mains may import app.
var appImporters = []string{"cmd/"}

func root(t *testing.T) string {
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s", dir)
	}
	return dir
}

// packages maps each of our import paths to its direct imports (non-test).
func packages(t *testing.T, dir string) map[string][]string {
	out := map[string][]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if p != dir && (strings.HasPrefix(name, ".") || name == "testdata" || name == "dist" || name == "bench" || name == "buildroot") {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(p, 0)
		if err != nil {
			return nil // no Go files here
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(filepath.Join(module, rel))] = pkg.Imports
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// closure returns everything pkg imports, following our own packages.
func closure(pkgs map[string][]string, pkg string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		for _, imp := range pkgs[p] {
			if seen[imp] {
				continue
			}
			seen[imp] = true
			if strings.HasPrefix(imp, module+"/") {
				walk(imp)
			}
		}
	}
	walk(pkg)
	var list []string
	for k := range seen {
		list = append(list, k)
	}
	slices.Sort(list)
	return list
}

func TestLayering(t *testing.T) {
	pkgs := packages(t, root(t))
	if len(pkgs) < 8 {
		t.Fatalf("found only %d packages; is the walk broken?", len(pkgs))
	}
	for pkg := range pkgs {
		rel := strings.TrimPrefix(pkg, module+"/")
		deps := closure(pkgs, pkg)
		for prefix, bans := range forbidden {
			if rel != prefix && !strings.HasPrefix(rel, prefix+"/") {
				continue
			}
			for _, d := range deps {
				for _, ban := range bans {
					if d == ban || (strings.HasSuffix(ban, "/") && strings.HasPrefix(d, ban)) || strings.HasPrefix(d, ban+"/") {
						t.Errorf("%s imports %s (forbidden for %s/)", pkg, d, prefix)
					}
				}
			}
		}
		if slices.Contains(pkgs[pkg], module+"/app") && !slices.ContainsFunc(appImporters, func(p string) bool { return strings.HasPrefix(rel, p) }) {
			t.Errorf("%s imports app; only cmd/ may", pkg)
		}
	}
}
