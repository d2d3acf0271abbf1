package onvif

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"camagent/internal/testtool"
)

// specsDir is the offline copy of the official ONVIF WSDL/XSD files with
// its validate.sh; CAMAGENT_ONVIF_SPECS overrides the default.
func specsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CAMAGENT_ONVIF_SPECS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "onvif-specs")
	}
	if _, err := os.Stat(filepath.Join(dir, "validate.sh")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ONVIF specs not found at %s (set CAMAGENT_ONVIF_SPECS): %v", dir, err)
		}
		t.Skipf("ONVIF specs not found at %s (set CAMAGENT_ONVIF_SPECS)", dir)
	}
	return dir
}

// TestResponsesValidateAgainstXSD validates every SOAP 1.2 response of the
// golden table, faults included, against the official schemas with the
// specs' validate.sh (xmllint, plus JDK Xerces when a JDK is installed).
func TestResponsesValidateAgainstXSD(t *testing.T) {
	testtool.Need(t, "xmllint")
	testtool.Need(t, "xsltproc")
	specs := specsDir(t)
	tmp := t.TempDir()
	var files []string
	forEachGolden(func(i int, c goldenCase, mod func(*Config)) {
		if c.soap11 {
			return // SOAP 1.1 has no schema in the set; its bodies equal the 1.2 ones
		}
		_, _, body := c.run(t, i, mod)
		p := filepath.Join(tmp, c.name+".xml")
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	})
	cmd := exec.Command(filepath.Join(specs, "validate.sh"), append([]string{"-q"}, files...)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("validate.sh: %v\n%s", err, out)
	}
	t.Logf("%d responses valid:\n%s", len(files), strings.TrimSpace(string(out)))
}
