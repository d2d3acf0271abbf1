package device

import (
	"context"
	"errors"
	"sync"
	"time"

	"camagent/internal/clock"
)

// WDIOF_CARDRESET in the boot status: the last reboot was the watchdog's.
const WDIOFCardReset = 0x0020

// WatchdogDevice is /dev/watchdog (watchdog_linux.go) or a fake.
type WatchdogDevice interface {
	SetTimeout(seconds int) (int, error) // returns the timeout the driver took
	KeepAlive() error
	BootStatus() (uint32, error)
	// Close stops using the device; with magic it disarms the watchdog
	// first (writes 'V'), without it the watchdog keeps counting.
	Close(magic bool) error
}

// Watchdog feeds the hardware watchdog while frames keep coming: once no
// frame has arrived for Grace it stops feeding and the board resets about
// Timeout later.
type Watchdog struct {
	cfg WatchdogConfig
	dev WatchdogDevice
	clk clock.Clock

	mu        sync.Mutex
	lastFrame time.Time
	feeding   bool
	boot      uint32
	timeout   time.Duration
}

// NewWatchdog sets the timeout and reads the boot status.
func NewWatchdog(cfg WatchdogConfig, dev WatchdogDevice, clk clock.Clock) (*Watchdog, error) {
	got, err := dev.SetTimeout(int(cfg.Timeout / time.Second))
	if err != nil {
		dev.Close(false)
		return nil, err
	}
	boot, err := dev.BootStatus()
	if err != nil {
		boot = 0 // not every driver reports it
	}
	return &Watchdog{cfg: cfg, dev: dev, clk: clk, lastFrame: clk.Now(), boot: boot, timeout: time.Duration(got) * time.Second, feeding: true}, nil
}

// Frame marks the pipeline as healthy (call it for each frame or
// periodically while frames flow).
func (w *Watchdog) Frame() {
	now := w.clk.Now()
	w.mu.Lock()
	w.lastFrame = now
	w.mu.Unlock()
}

// WatchdogStatus is what health reports.
type WatchdogStatus struct {
	Timeout       time.Duration `json:"timeout"`
	Feeding       bool          `json:"feeding"`
	BootStatus    uint32        `json:"boot_status"`
	WatchdogReset bool          `json:"watchdog_reset"` // the last boot was a watchdog reset
}

// Status reports the watchdog for health.
func (w *Watchdog) Status() WatchdogStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	return WatchdogStatus{Timeout: w.timeout, Feeding: w.feeding, BootStatus: w.boot, WatchdogReset: w.boot&WDIOFCardReset != 0}
}

// Run pings every third of the timeout while healthy, until ctx ends; then
// it closes the device (with the magic close only if configured).
func (w *Watchdog) Run(ctx context.Context) error {
	every := w.timeout / 3
	if every <= 0 {
		every = time.Second / 2
	}
	t := w.clk.NewTicker(every)
	defer t.Stop()
	var err error
	for err == nil {
		w.mu.Lock()
		healthy := w.clk.Now().Sub(w.lastFrame) <= w.cfg.Grace
		w.feeding = healthy
		w.mu.Unlock()
		if healthy {
			err = w.dev.KeepAlive()
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, w.dev.Close(w.cfg.MagicClose))
		case <-t.C():
		}
	}
	return errors.Join(err, w.dev.Close(false))
}

// FakeWatchdog records pings for tests.
type FakeWatchdog struct {
	mu      sync.Mutex
	Timeout int
	Boot    uint32
	Pings   int
	Closed  bool
	Magic   bool
	pinged  chan struct{}
}

// NewFakeWatchdog returns a fake device; Pinged receives one value per ping.
func NewFakeWatchdog() *FakeWatchdog { return &FakeWatchdog{pinged: make(chan struct{}, 1024)} }

func (f *FakeWatchdog) SetTimeout(s int) (int, error) {
	f.mu.Lock()
	f.Timeout = s
	f.mu.Unlock()
	return s, nil
}
func (f *FakeWatchdog) BootStatus() (uint32, error) { return f.Boot, nil }
func (f *FakeWatchdog) KeepAlive() error {
	f.mu.Lock()
	f.Pings++
	f.mu.Unlock()
	f.pinged <- struct{}{}
	return nil
}
func (f *FakeWatchdog) Close(magic bool) error {
	f.mu.Lock()
	f.Closed, f.Magic = true, magic
	f.mu.Unlock()
	return nil
}

// Pinged receives a value per ping.
func (f *FakeWatchdog) Pinged() <-chan struct{} { return f.pinged }
