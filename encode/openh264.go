//go:build cgo

package encode

import (
	"fmt"
	"image"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/openh264"
	"github.com/pion/mediadevices/pkg/prop"

	"camagent/media"
)

// openH264 drives pion/mediadevices' OpenH264 binding. That binding pulls
// pictures from a video.Reader, so we hand it the frame being encoded through
// a reader closure: no copy for I420, one conversion for NV12.
type openH264 struct {
	cfg   SoftwareConfig
	rc    codec.ReadCloser
	keys  codec.KeyFrameController
	img   image.YCbCr
	i420  *media.Frame // scratch for NV12 input
	nalus [][]byte
}

// NewSoftware opens an OpenH264 encoder (Constrained Baseline, CAVLC).
func NewSoftware(cfg SoftwareConfig) (Encoder, error) {
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.FPS <= 0 || cfg.BitrateKbps <= 0 || cfg.GOP <= 0 {
		return nil, fmt.Errorf("encode: invalid software encoder config %+v", cfg)
	}
	params, err := openh264.NewParams()
	if err != nil {
		return nil, fmt.Errorf("encode: openh264 params: %w", err)
	}
	params.BitRate = cfg.BitrateKbps * 1000
	params.IntraPeriod = uint(cfg.GOP)
	params.UsageType = openh264.CameraVideoRealTime
	params.RCMode = openh264.RCBitrateMode
	// A surveillance stream must keep every picture; skipping frames to
	// hold the bitrate would hide events and break frame counting.
	params.EnableFrameSkip = false
	params.MultipleThreadIdc = cfg.Threads

	o := &openH264{cfg: cfg, i420: media.NewFramePool(1, media.I420, cfg.Width, cfg.Height).MustGet()}
	o.img = image.YCbCr{SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, cfg.Width, cfg.Height)}
	reader := readerFunc(func() (image.Image, func(), error) { return &o.img, func() {}, nil })
	rc, err := params.BuildVideoEncoder(reader, prop.Media{Video: prop.Video{Width: cfg.Width, Height: cfg.Height, FrameRate: float32(cfg.FPS)}})
	if err != nil {
		return nil, fmt.Errorf("encode: open openh264 %dx%d: %w", cfg.Width, cfg.Height, err)
	}
	keys, ok := rc.Controller().(codec.KeyFrameController)
	if !ok {
		rc.Close()
		return nil, fmt.Errorf("encode: openh264 binding offers no keyframe control")
	}
	o.rc, o.keys = rc, keys
	return o, nil
}

func (o *openH264) Backend() string { return "openh264" }

func (o *openH264) Encode(f *media.Frame, forceIDR bool) ([][]byte, error) {
	if f.Width != o.cfg.Width || f.Height != o.cfg.Height {
		return nil, fmt.Errorf("encode: frame %dx%d does not match encoder %dx%d", f.Width, f.Height, o.cfg.Width, o.cfg.Height)
	}
	src := f
	if f.Format == media.NV12 {
		nv12ToI420(o.i420, f)
		src = o.i420
	}
	o.img.Y, o.img.Cb, o.img.Cr = src.Planes[0], src.Planes[1], src.Planes[2]
	o.img.YStride, o.img.CStride = src.Stride[0], src.Stride[1]
	if forceIDR {
		if err := o.keys.ForceKeyFrame(); err != nil {
			return nil, fmt.Errorf("encode: force keyframe: %w", err)
		}
	}
	b, release, err := o.rc.Read()
	if release != nil {
		defer release()
	}
	if err != nil {
		return nil, fmt.Errorf("encode: openh264: %w", err)
	}
	o.nalus = splitAnnexB(o.nalus[:0], b)
	return o.nalus, nil
}

func (o *openH264) Close() error { return o.rc.Close() }

type readerFunc func() (image.Image, func(), error)

func (r readerFunc) Read() (image.Image, func(), error) { return r() }
