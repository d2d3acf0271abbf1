package encode

import "camagent/media"

// nv12ToI420 de-interleaves chroma into dst, which must be an I420 frame of
// the same geometry. Luma is copied row by row to honour both strides.
func nv12ToI420(dst, src *media.Frame) {
	w, h := src.Width, src.Height
	for y := range h {
		copy(dst.Planes[0][y*dst.Stride[0]:y*dst.Stride[0]+w], src.Planes[0][y*src.Stride[0]:])
	}
	cw, ch := (w+1)/2, (h+1)/2
	u, v, uv := dst.Planes[1], dst.Planes[2], src.Planes[1]
	for y := range ch {
		row := uv[y*src.Stride[1] : y*src.Stride[1]+2*cw]
		uo, vo := y*dst.Stride[1], y*dst.Stride[2]
		for x := range cw {
			u[uo+x] = row[2*x]
			v[vo+x] = row[2*x+1]
		}
	}
	dst.Seq, dst.PTS, dst.Wall = src.Seq, src.PTS, src.Wall
}
