package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"camagent/capture"
	"camagent/internal/testtool"
)

func TestMain(m *testing.M) {
	// Re-executed by TestSignalStopsAgent as the agent process itself.
	if os.Getenv("CAMAGENT_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "camagent.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigCheck(t *testing.T) {
	cases := []struct {
		name     string
		yaml     string
		code     int
		contains []string
	}{
		{"valid", "rtsp:\n  listen: \":8554\"\n", exitOK, []string{"valid"}},
		{"every problem listed", "rtsp:\n  listen: \"nope\"\n  path: \"x\"\nsource:\n  testpattern:\n    width: 7\nrtps: {}\n",
			exitUsage, []string{"rtsp.listen", "rtsp.path", "source.testpattern.width", "rtps", ":2:", ":3:", ":6:", ":7:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"config", "check", writeFile(t, c.yaml)}, &out, &errOut)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, c.code, errOut.String())
			}
			all := out.String() + errOut.String()
			for _, s := range c.contains {
				if !strings.Contains(all, s) {
					t.Errorf("output lacks %q:\n%s", s, all)
				}
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{"config", "check", "/nonexistent/camagent.yaml"}, &out, &errOut); code != exitUsage {
			t.Fatalf("exit %d, want %d", code, exitUsage)
		}
		if !strings.Contains(errOut.String(), "does not exist") {
			t.Errorf("stderr %q does not say the file is missing", errOut.String())
		}
	})
}

func TestRunWithInvalidConfigExits2(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"run", "-config", writeFile(t, "rtsp:\n  max_readers: 0\n  write_queue: 100\n")}, &out, &errOut)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	for _, s := range []string{"rtsp.max_readers", "rtsp.write_queue"} {
		if !strings.Contains(errOut.String(), s) {
			t.Errorf("stderr lacks %q:\n%s", s, errOut.String())
		}
	}
}

func TestVersionListsModules(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &out, &out); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasPrefix(out.String(), "camagent ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("version output:\n%s", out.String())
	}
	if want := "\nMJPEG decoder: " + capture.MJPEGDecoder() + "\n"; !strings.Contains(out.String(), want) {
		t.Errorf("version output lacks %q:\n%s", want[1:], out.String())
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, &out, &errOut); code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
}

// SIGINT and SIGTERM stop the whole agent within 2 s with exit status 0.
func TestSignalStopsAgent(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cfgPath := writeFile(t, fmt.Sprintf("rtsp:\n  listen: \"127.0.0.1:%d\"\n  udp: false\nsource:\n  testpattern:\n    width: 320\n    height: 240\nmqtt:\n  embedded_listen: \"127.0.0.1:0\"\nonvif:\n  listen: \"127.0.0.1:%d\"\n", testtool.FreePort(t, "tcp"), testtool.FreePort(t, "tcp")))
			cmd := exec.Command(os.Args[0], "run", "-config", cfgPath)
			cmd.Env = append(os.Environ(), "CAMAGENT_TEST_AS_MAIN=1")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The banner's URL line means every component is running.
			sc := bufio.NewScanner(stdout)
			banner := ""
			for !strings.Contains(banner, "rtsp://") && sc.Scan() {
				banner += sc.Text() + "\n"
			}
			if !strings.Contains(banner, "rtsp://") {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("no banner: %q %s", banner, stderr.String())
			}
			go io.Copy(io.Discard, stdout)
			sent := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			select {
			case err := <-waited:
				if err != nil {
					t.Fatalf("agent exited with %v after %v; stderr:\n%s", err, time.Since(sent), stderr.String())
				}
			case <-time.After(2 * time.Second):
				cmd.Process.Kill()
				<-waited
				t.Fatalf("agent still running 2 s after %v; stderr:\n%s", sig, stderr.String())
			}
		})
	}
}

func TestChooseConfig(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "camagent.yaml")
	def := filepath.Join(dir, "default.yaml")
	if load, unprov, err := chooseConfig(own, def); err != nil || load != def || !unprov {
		t.Errorf("missing own config: %q %v %v", load, unprov, err)
	}
	if err := os.WriteFile(own, []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if load, unprov, err := chooseConfig(own, def); err != nil || load != own || unprov {
		t.Errorf("provisioned: %q %v %v", load, unprov, err)
	}
	if load, unprov, err := chooseConfig(own, ""); err != nil || load != own || unprov {
		t.Errorf("no fallback: %q %v %v", load, unprov, err)
	}
	if _, _, err := chooseConfig("", def); err == nil {
		t.Error("-default-config without -config accepted")
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"run", "-config", own, "extra"}, &out, &errb); code != exitUsage {
		t.Errorf("stray argument: exit %d", code)
	}
}
