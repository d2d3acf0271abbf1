package app

import (
	"net"
	"syscall"
	"testing"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"

	"camagent/config"
)

// A reader that stops reading must lose its own packets while the camera
// pipeline and every other reader carry on untouched.
func TestStalledReaderDoesNotStallOthers(t *testing.T) {
	url, a := startAgent(t, func(c *config.Config) {
		c.RTSP.WriteQueue = 64 // the smallest queue, so the stall shows within seconds
		c.Source.TestPattern.Width, c.Source.TestPattern.Height = 1280, 720
		c.Encoder.BitrateKbps = 8000
	})

	// The stalled reader: a real RTSP client (gortsplib) with a tiny receive
	// buffer whose packet callback blocks forever after the first packet.
	u, err := base.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	tcp := gortsplib.ProtocolTCP
	stall := make(chan struct{})
	c := &gortsplib.Client{
		Scheme:   u.Scheme,
		Host:     u.Host,
		Protocol: &tcp,
		DialContext: (&net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
			return serr
		}}).DialContext,
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { close(stall); c.Close() }()
	desc, _, err := c.Describe(u)
	if err != nil {
		t.Fatalf("stalled client DESCRIBE: %v", err)
	}
	if err := c.SetupAll(desc.BaseURL, desc.Medias); err != nil {
		t.Fatal(err)
	}
	c.OnPacketRTPAny(func(*description.Media, format.Format, *rtp.Packet) { <-stall })
	if _, err := c.Play(nil); err != nil {
		t.Fatal(err)
	}

	before := a.Stats()
	lines, errs := decode(t, url, "tcp", 240) // eight seconds of video beside the stalled one
	if errs != "" {
		t.Errorf("healthy reader saw decoder errors while another stalled:\n%s", errs)
	}
	if len(lines) < 240 {
		t.Errorf("healthy reader decoded %d frames, want 240", len(lines))
	}
	after := a.Stats()
	if after.RTSP.PacketsDropped == 0 {
		t.Errorf("the stalled reader lost no packets: its queue is not bounded")
	}
	// Had the stalled reader held up the pipeline, encoding would have
	// stopped once its queue filled. CPU contention on a loaded test
	// machine may cost a few frames, so compare with what the source made
	// rather than with a wall-clock rate.
	made := after.Source.Frames - before.Source.Frames
	if got := after.Encoder.FramesOut - before.Encoder.FramesOut; got*2 < made {
		t.Errorf("encoder delivered %d of the %d frames the source made during the stall: the pipeline was held up", got, made)
	}
}
