package app

import (
	"context"
	"time"

	"camagent/internal/clock"
)

// signalLossAfter without a raw frame raises tns1:VideoSource/SignalLoss.
const signalLossAfter = 3 * time.Second

// signalWatch checks the motion detector's last-frame time once a second
// and reports signal loss and recovery through publish (the broker only
// forwards changes).
type signalWatch struct {
	clk     clock.Clock
	m       *motionDetector
	publish func(lost bool)
}

func (w signalWatch) Run(ctx context.Context) error {
	t := w.clk.NewTicker(time.Second)
	defer t.Stop()
	start := w.clk.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C():
			last := start
			if ns := w.m.lastFrame.Load(); ns != 0 {
				last = time.Unix(0, ns)
			}
			w.publish(now.Sub(last) >= signalLossAfter)
		}
	}
}
