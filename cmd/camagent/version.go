package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"camagent/capture"
)

// printVersion writes the version, the MJPEG decoder compiled in
// (libjpeg-turbo or image/jpeg, capture/V4L2.md) and the binary's software
// bill of materials: every module compiled in, with its version and
// checksum. The first line stays the version alone (scripts print it).
func printVersion(w io.Writer) {
	fmt.Fprintf(w, "camagent %s (commit %s) %s %s/%s\n", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "MJPEG decoder: %s\n", capture.MJPEGDecoder())
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(w, "no build information embedded")
		return
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "CGO_ENABLED", "GOARCH", "GOARM", "-tags", "-trimpath":
			fmt.Fprintf(w, "build %s=%s\n", s.Key, s.Value)
		}
	}
	fmt.Fprintf(w, "module %s\n", bi.Main.Path)
	for _, m := range bi.Deps {
		if m.Replace != nil {
			m = m.Replace
		}
		fmt.Fprintf(w, "dep %s %s %s\n", m.Path, m.Version, m.Sum)
	}
}
