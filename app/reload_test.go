package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"camagent/config"
)

// MQTT config-set: a bad file is refused with every problem and changes
// nothing; a good one is saved and Run ends with ErrReload so the main
// starts the agent again with it.
// runWithConfigPath starts an agent that persists to path and returns
// Run's result channel; the test owns waiting for it (Run ends by itself
// after a reload or a factory reset), the cleanup only cancels.
func runWithConfigPath(t *testing.T, cfg *config.Config, path string) (*Agent, <-chan error) {
	t.Helper()
	a, err := New(cfg, Options{ConfigPath: path})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-a.Ready():
	case err := <-done:
		t.Fatalf("agent failed to start: %v", err)
	}
	return a, done
}

func TestConfigSetAppliesByReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "camagent.yaml")
	cfg := loopbackConfig(t)
	if err := config.Save(path, cfg); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	a, done := runWithConfigPath(t, cfg, path)

	problems, err := (agentActions{a}).ConfigSet([]byte("rtsp:\n  max_readers: 0\n  write_queue: 100\n"))
	if err != nil || len(problems) != 2 {
		t.Fatalf("bad config: problems %q, err %v", problems, err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("a refused config changed the file")
	}
	select {
	case err := <-done:
		t.Fatalf("a refused config stopped the agent: %v", err)
	default:
	}

	next := *cfg
	next.Device.Name = "gate-3"
	y, err := config.Marshal(&next)
	if err != nil {
		t.Fatal(err)
	}
	if problems, err := (agentActions{a}).ConfigSet(y); err != nil || len(problems) != 0 {
		t.Fatalf("good config: problems %q, err %v", problems, err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrReload) {
			t.Fatalf("Run = %v, want ErrReload", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not stop to apply the new configuration")
	}
	saved, err := config.Load(path)
	if err != nil || saved.Device.Name != "gate-3" {
		t.Fatalf("saved config: %v %v", saved, err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("saved with mode %v, want 0600", info.Mode().Perm())
	}
}
