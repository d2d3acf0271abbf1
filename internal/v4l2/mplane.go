// Package v4l2 holds the Video4Linux2 multi-planar structures that both
// the capture source (capture/) and the memory-to-memory encoder (encode/)
// pass to the kernel. It owns no behaviour; capture and encode may import
// it, it imports nothing of ours. The layouts match linux/videodev2.h on
// 32- and 64-bit (checked by encode's and capture's ioctl-number tests).
package v4l2

// PlanePixFormat is struct v4l2_plane_pix_format.
type PlanePixFormat struct {
	SizeImage    uint32
	BytesPerLine uint32
	Reserved     [6]uint16
}

// PixFormatMplane is struct v4l2_pix_format_mplane (C packed; every field
// is naturally aligned here, so Go's layout matches: 192 bytes).
type PixFormatMplane struct {
	Width, Height, PixelFormat, Field, Colorspace uint32
	PlaneFmt                                      [8]PlanePixFormat
	NumPlanes, Flags, YcbcrEnc, Quantization, XF  uint8
	Reserved                                      [7]uint8
}

// Plane is struct v4l2_plane; M is mem_offset for MMAP (a pointer-sized
// union in C).
type Plane struct {
	BytesUsed  uint32
	Length     uint32
	M          uintptr
	DataOffset uint32
	Reserved   [11]uint32
}
