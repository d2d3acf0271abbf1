package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"camagent/internal/clock"
	"camagent/media"
)

// FileConfig selects the file to loop and its playback rate; the rate is not
// taken from the stream because raw elementary streams rarely carry one.
type FileConfig struct {
	Path string
	FPS  int
}

// AUSink receives encoded pictures. Publish takes over the caller's one
// reference and must not block: the source paces a live stream.
type AUSink interface {
	Publish(au *media.AccessUnit)
}

// FileInfo describes a loaded file, from its first SPS.
type FileInfo struct {
	Width, Height int
	AccessUnits   int
	Profile       string
	SPS, PPS      []byte
}

// maxFileSize bounds what is read into memory; the whole file is kept so
// playback never touches the disk (often slow flash on a camera).
const maxFileSize = 512 << 20

// File plays an H.264 Annex-B elementary stream in a loop without
// re-encoding. Looping a passthrough stream is only seamless when it starts
// on an IDR and has no B-frames, which NewFile checks.
type File struct {
	cfg  FileConfig
	out  AUSink
	clk  clock.Clock
	log  *slog.Logger
	pool *media.AUPool
	aus  []storedAU
	info FileInfo

	seq uint64 // next sequence number; only Run touches it
	counters
}

// NewFile reads, splits and validates the file. Errors name the file and
// wrap the Err* values of this package.
func NewFile(cfg FileConfig, out AUSink, clk clock.Clock, log *slog.Logger) (*File, error) {
	if cfg.FPS < 1 || cfg.FPS > maxFPS {
		return nil, fmt.Errorf("capture: h264 file %q: fps %d: want 1..%d", cfg.Path, cfg.FPS, maxFPS)
	}
	if out == nil || clk == nil {
		return nil, errors.New("capture: h264 file: nil sink or clock")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	buf, err := readLimited(cfg.Path, maxFileSize)
	if err != nil {
		return nil, fmt.Errorf("capture: h264 file %q: %w", cfg.Path, err)
	}
	s, err := parseH264(buf)
	if err != nil {
		return nil, fmt.Errorf("capture: h264 file %q: %w", cfg.Path, err)
	}
	info, err := describe(s)
	if err != nil {
		return nil, fmt.Errorf("capture: h264 file %q: %w", cfg.Path, err)
	}
	log = log.With("source", "file", "path", cfg.Path)
	if s.droppedTail > 0 {
		log.Warn("ignoring NAL units after the last picture", "count", s.droppedTail)
	}
	idrs := 0
	for _, au := range s.aus {
		if au.idr {
			idrs++
		}
	}
	log.Info("h264 file loaded", "bytes", len(buf), "access_units", info.AccessUnits, "idr", idrs,
		"width", info.Width, "height", info.Height, "profile", info.Profile)
	return &File{
		cfg:  cfg,
		out:  out,
		clk:  clk,
		log:  log,
		pool: media.NewAUPool(8),
		aus:  s.aus,
		info: info,
	}, nil
}

// readLimited reads the whole file, refusing more than limit bytes. The size
// is checked before reading and again while reading, in case the file grows.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, st.Size())
	}
	buf, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(buf)) > limit {
		return nil, ErrTooLarge
	}
	return buf, nil
}

func describe(s *h264Stream) (FileInfo, error) {
	spsNALU, ppsNALU := s.firstParamSets()
	var sps h264.SPS
	if err := sps.Unmarshal(spsNALU); err != nil {
		return FileInfo{}, fmt.Errorf("%w: SPS: %w", ErrMalformed, err)
	}
	w, h := sps.Width(), sps.Height()
	// Cropping can underflow in a corrupt SPS; 16384 is beyond every level.
	if w <= 0 || h <= 0 || w > 16384 || h > 16384 {
		return FileInfo{}, fmt.Errorf("%w: SPS: picture size %dx%d", ErrMalformed, w, h)
	}
	return FileInfo{
		Width:       w,
		Height:      h,
		AccessUnits: len(s.aus),
		Profile:     profileName(&sps),
		SPS:         append([]byte(nil), spsNALU...),
		PPS:         append([]byte(nil), ppsNALU...),
	}, nil
}

// profileName names profile_idc as NVRs and ffprobe show it.
func profileName(sps *h264.SPS) string {
	switch sps.ProfileIdc {
	case 66:
		if sps.ConstraintSet1Flag {
			return "Constrained Baseline"
		}
		return "Baseline"
	case 77:
		return "Main"
	case 88:
		return "Extended"
	case 100:
		return "High"
	case 110:
		return "High 10"
	case 122:
		return "High 4:2:2"
	case 244:
		return "High 4:4:4 Predictive"
	case 44:
		return "CAVLC 4:4:4 Intra"
	}
	return fmt.Sprintf("profile_idc %d", sps.ProfileIdc)
}

// Run publishes one access unit per tick, looping over the file, until ctx
// ends; then it returns nil. Timestamps keep increasing across loops so
// receivers see one continuous stream.
func (f *File) Run(ctx context.Context) error {
	ticker := f.clk.NewTicker(interval(f.cfg.FPS))
	defer ticker.Stop()
	f.log.Info("file playback started", "fps", f.cfg.FPS)
	for {
		select {
		case <-ctx.Done():
			f.log.Info("file playback stopped", "published", f.frames.Load())
			return nil
		case <-ticker.C():
			f.publishNext()
		}
	}
}

func (f *File) publishNext() {
	seq := f.seq
	f.seq++
	src := &f.aus[seq%uint64(len(f.aus))]
	au := f.pool.Get()
	au.SetNALUs(src.nalus) // copied into the pooled buffer: the file bytes stay read-only whatever subscribers do
	au.IDR = src.idr
	au.Seq = seq
	au.PTS = ptsFor(seq, f.cfg.FPS)
	au.Wall = f.clk.Now()
	f.out.Publish(au)
	f.frames.Add(1)
}

// Stats is safe to call from any goroutine. Dropped stays zero: the sink
// never refuses, it drops per subscriber.
func (f *File) Stats() SourceStats {
	return SourceStats{
		Frames:  f.frames.Load(),
		Dropped: f.dropped.Load(),
		Width:   f.info.Width,
		Height:  f.info.Height,
		FPS:     f.cfg.FPS,
		Format:  "H264",
	}
}

// Info describes the loaded file.
func (f *File) Info() FileInfo {
	i := f.info
	i.SPS = append([]byte(nil), i.SPS...)
	i.PPS = append([]byte(nil), i.PPS...)
	return i
}
