package onvif

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"camagent/internal/testtool"
)

// TestDiscoveryMessagesValidateAgainstXSD validates ProbeMatches, Hello and
// Bye (envelope, WS-Addressing header and WS-Discovery body) with the specs'
// validate.sh.
func TestDiscoveryMessagesValidateAgainstXSD(t *testing.T) {
	testtool.Need(t, "xmllint")
	testtool.Need(t, "xsltproc")
	specs := specsDir(t)
	d, _ := newTestDiscovery(t)
	reply, _, ok := d.handle([]byte(agshProbe), lanSource, 2)
	if !ok {
		t.Fatal("no ProbeMatches")
	}
	tg := d.target(netip.MustParseAddr("192.0.2.10"), "02:00:00:00:00:17")
	msgs := map[string][]byte{
		"ProbeMatches": reply,
		"Hello":        hello(d.header(), tg),
		"Bye":          bye(d.header(), tg),
	}
	tmp := t.TempDir()
	var files []string
	for name, b := range msgs {
		p := filepath.Join(tmp, name+".xml")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	cmd := exec.Command(filepath.Join(specs, "validate.sh"), append([]string{"-q"}, files...)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("validate.sh: %v\n%s", err, out)
	}
	t.Logf("%d discovery messages valid:\n%s", len(files), strings.TrimSpace(string(out)))
}
