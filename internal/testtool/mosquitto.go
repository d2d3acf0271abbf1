package testtool

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Mosquitto is a real broker started by a test on a free loopback port.
type Mosquitto struct {
	t      testing.TB
	bin    string
	conf   string
	Port   int
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	log    SyncBuffer
}

// SyncBuffer is a bytes.Buffer safe for one writer goroutine (exec's
// copier, a logger) and readers in the test.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StartMosquitto runs mosquitto with a generated configuration: one
// listener on 127.0.0.1 at a free port (no persistence unless extra asks), and extra
// appended verbatim (a TLS listener, an ACL file...). With extra empty the
// listener allows anonymous clients. The broker stops at the end of the test.
func StartMosquitto(t testing.TB, extra string) *Mosquitto {
	t.Helper()
	bin := Need(t, "mosquitto")
	m := &Mosquitto{t: t, bin: bin, Port: FreePort(t, "tcp")}
	conf := fmt.Sprintf("listener %d 127.0.0.1\nlog_dest stderr\nlog_type error\nlog_type warning\n", m.Port)
	if os.Geteuid() == 0 {
		// Started as root, mosquitto switches to the user "mosquitto", which
		// cannot read the test's private temporary directory (certificates,
		// ACL, persistence file). The broker is loopback-only and test-owned.
		conf += "user root\n"
	}
	if extra == "" {
		conf += "allow_anonymous true\n"
	} else {
		conf += extra
	}
	m.conf = filepath.Join(t.TempDir(), "mosquitto.conf")
	if err := os.WriteFile(m.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	m.Start()
	t.Cleanup(m.Stop)
	return m
}

// URL is mqtt://127.0.0.1:PORT.
func (m *Mosquitto) URL() string { return "mqtt://127.0.0.1:" + strconv.Itoa(m.Port) }

// Start (re)starts the broker and waits until it accepts connections.
func (m *Mosquitto) Start() {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	cmd := exec.Command(m.bin, "-c", m.conf)
	cmd.Stderr = &m.log
	cmd.Stdout = &m.log
	if err := cmd.Start(); err != nil {
		m.t.Fatalf("mosquitto: %v", err)
	}
	m.cmd, m.exited = cmd, make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(cmd, m.exited)
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(m.Port)), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-m.exited:
			m.t.Fatalf("mosquitto exited at start:\n%s", m.log.String())
		case <-tick.C:
		}
	}
	m.t.Fatalf("mosquitto not listening on %d after 10 s:\n%s", m.Port, m.log.String())
}

// Stop kills the broker (SIGKILL: an outage, not a clean shutdown) and
// waits for it to exit. Stopping a stopped broker does nothing.
func (m *Mosquitto) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	<-m.exited
	m.cmd = nil
}

// StopGraceful ends the broker with SIGTERM so it saves its persistence
// file (when the configuration enables persistence) before exiting.
func (m *Mosquitto) StopGraceful() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Signal(os.Interrupt)
	<-m.exited
	m.cmd = nil
}

// Log is what the broker wrote so far.
func (m *Mosquitto) Log() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.log.String()
}

// TLSURL is mqtts://127.0.0.1:PORT, for a test whose extra configuration
// turns the listener into a TLS one.
func (m *Mosquitto) TLSURL() string { return "mqtts://127.0.0.1:" + strconv.Itoa(m.Port) }
