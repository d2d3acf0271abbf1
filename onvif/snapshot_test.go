package onvif

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"camagent/auth"
	"camagent/internal/testtool"
)

type fakeSnaps struct{ err error }

func (f fakeSnaps) Snapshot() ([]byte, error) { return []byte("\xff\xd8jpeg\xff\xd9"), f.err }

func newSnapshotServer(t *testing.T, src SnapshotSource) *testServer {
	t.Helper()
	return newTestServer(t, func(c *Config) {
		d, err := auth.NewDigest(auth.DigestConfig{Realm: "camagent", Algorithms: []auth.Algorithm{auth.AlgMD5}, NonceTTL: time.Minute}, c.Accounts, c.Clock)
		if err != nil {
			t.Fatal(err)
		}
		c.Digest, c.Snapshots = d, src
	})
}

func getSnapshot(s http.Handler, method, authz string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, SnapshotPath, nil)
	r.RemoteAddr = "192.0.2.99:40000"
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func digestGET(user, pw, nonce, opaque string, nc int) string {
	h := func(s string) string { x := md5.Sum([]byte(s)); return hex.EncodeToString(x[:]) }
	ha1 := h(user + ":camagent:" + pw)
	ha2 := h("GET:" + SnapshotPath)
	ncs := fmt.Sprintf("%08x", nc)
	resp := h(ha1 + ":" + nonce + ":" + ncs + ":c0ffee:auth:" + ha2)
	return fmt.Sprintf(`Digest username="%s", realm="camagent", nonce="%s", uri="%s", algorithm=MD5, qop=auth, nc=%s, cnonce="c0ffee", response="%s", opaque="%s"`,
		user, nonce, SnapshotPath, ncs, resp, opaque)
}

func TestSnapshotEndpointDigest(t *testing.T) {
	s := newSnapshotServer(t, fakeSnaps{})
	w := getSnapshot(s, http.MethodGet, "")
	ch := w.Result().Header.Get("WWW-Authenticate")
	if w.Code != 401 || !strings.HasPrefix(ch, "Digest ") {
		t.Fatalf("no credentials: %d %q", w.Code, ch)
	}
	nonce, opaque := param(ch, "nonce"), param(ch, "opaque")
	for i, c := range []struct {
		user, pw string
		status   int
	}{
		{"viewer", "viewer-secret-333", 200},
		{"viewer", "wrong-password", 401},
		{"nobody", "viewer-secret-333", 401},
		{"admin", "admin-secret-1", 200},
	} {
		w := getSnapshot(s, http.MethodGet, digestGET(c.user, c.pw, nonce, opaque, i+1))
		if w.Code != c.status {
			t.Errorf("%s/%s: %d, want %d", c.user, c.pw, w.Code, c.status)
		}
		if c.status == 200 && (w.Header().Get("Content-Type") != "image/jpeg" || !strings.HasPrefix(w.Body.String(), "\xff\xd8")) {
			t.Errorf("%s: %q %q", c.user, w.Header().Get("Content-Type"), w.Body.String())
		}
	}
	// Replayed nonce count: refused.
	if w := getSnapshot(s, http.MethodGet, digestGET("viewer", "viewer-secret-333", nonce, opaque, 1)); w.Code != 401 {
		t.Errorf("replayed nc: %d", w.Code)
	}
	if w := getSnapshot(s, http.MethodPost, ""); w.Code != 405 {
		t.Errorf("POST: %d", w.Code)
	}
	// The ?auth= style bypass of other cameras does nothing here.
	r := httptest.NewRequest(http.MethodGet, SnapshotPath+"?auth=YWRtaW46MTEK", nil)
	rw := httptest.NewRecorder()
	s.ServeHTTP(rw, r)
	if rw.Code != 401 {
		t.Errorf("?auth=: %d", rw.Code)
	}
}

func TestSnapshotEndpointNoPictureAndDisabled(t *testing.T) {
	s := newSnapshotServer(t, fakeSnaps{err: ErrNoPicture})
	ch := getSnapshot(s, http.MethodGet, "").Result().Header.Get("WWW-Authenticate")
	w := getSnapshot(s, http.MethodGet, digestGET("viewer", "viewer-secret-333", param(ch, "nonce"), param(ch, "opaque"), 1))
	if w.Code != 503 {
		t.Fatalf("no picture: %d", w.Code)
	}
	plain := newTestServer(t, nil) // no Snapshots
	if w := getSnapshot(plain, http.MethodGet, ""); w.Code != 404 {
		t.Fatalf("snapshots off: %d", w.Code)
	}
}

const getSnapshotURIBody = `<trt:GetSnapshotUri><trt:ProfileToken>profile_main</trt:ProfileToken></trt:GetSnapshotUri>`

func TestGetSnapshotURI(t *testing.T) {
	s := newSnapshotServer(t, fakeSnaps{})
	w := postSOAP(s, envelope12(newToken("viewer", 1).header(), getSnapshotURIBody))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<tt:Uri>http://192.0.2.10:8080/onvif/snapshot</tt:Uri>") {
		t.Fatalf("%d\n%s", w.Code, w.Body)
	}
	caps := postSOAP(s, envelope12("", `<trt:GetServiceCapabilities/>`)).Body.String()
	if !strings.Contains(caps, `SnapshotUri="true"`) {
		t.Fatalf("capabilities:\n%s", caps)
	}
	if w := postSOAP(s, envelope12("", getSnapshotURIBody)); w.Code == 200 {
		t.Fatal("GetSnapshotUri answered without credentials")
	}
}

// TestSnapshotResponsesValidateAgainstXSD validates GetSnapshotUriResponse
// and the media capabilities with SnapshotUri.
func TestSnapshotResponsesValidateAgainstXSD(t *testing.T) {
	testtool.Need(t, "xmllint")
	testtool.Need(t, "xsltproc")
	specs := specsDir(t)
	s := newSnapshotServer(t, fakeSnaps{})
	tmp := t.TempDir()
	var files []string
	for name, env := range map[string]string{
		"GetSnapshotUri":               envelope12(newToken("viewer", 1).header(), getSnapshotURIBody),
		"GetServiceCapabilities-Media": envelope12("", `<trt:GetServiceCapabilities/>`),
	} {
		w := postSOAP(s, env)
		if w.Code != 200 {
			t.Fatalf("%s: %d", name, w.Code)
		}
		p := filepath.Join(tmp, name+".xml")
		if err := os.WriteFile(p, w.Body.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	cmd := exec.Command(filepath.Join(specs, "validate.sh"), append([]string{"-q"}, files...)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("validate.sh: %v\n%s", err, out)
	}
}
