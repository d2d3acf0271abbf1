//go:build linux

// Command probe is the virtual-hardware smoke test's view of the guest's
// devices. It talks to the V4L2 and GPIO character devices through the raw
// kernel ioctls only (x/sys/unix, no cgo), so a CGO_ENABLED=0 build runs in
// the bare busybox guest on amd64 and arm64, and prints what it finds.
//
//	probe capture -driver vivid          capture nodes: QUERYCAP + formats
//	probe m2m -driver vicodec -encoder   memory-to-memory nodes: both queues
//	probe gpio -chip camera-io=IR_LED,PIR_SENSOR -chip gpio-mockup-A
//
// It exits 1 when an expected device, format or line is missing, 2 on usage
// errors.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "capture":
		err = runCapture(args)
	case "m2m":
		err = runM2M(args)
	case "gpio":
		err = runGPIO(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: probe capture|m2m|gpio [flags]  (probe CMD -h for flags)")
	os.Exit(2)
}

// runCapture prints every video node, then the formats of each capture node
// of the wanted driver; it fails unless there is at least one with formats.
func runCapture(args []string) error {
	fs := flag.NewFlagSet("capture", flag.ExitOnError)
	driver := fs.String("driver", "", "want a capture node of this driver (empty: any)")
	fs.Parse(args)

	nodes, err := openVideoNodes()
	defer closeVideoNodes(nodes)
	if err != nil {
		return err
	}
	found := 0
	for _, n := range nodes {
		fmt.Println(n)
		if n.caps&(capVideoM2M|capVideoM2MMplane) != 0 || (*driver != "" && n.driver() != *driver) {
			continue
		}
		var bufType uint32
		switch {
		case n.caps&capVideoCapture != 0:
			bufType = bufTypeVideoCapture
		case n.caps&capVideoCaptureMplane != 0:
			bufType = bufTypeVideoCaptureMplane
		default:
			continue
		}
		f, err := enumFormats(n, bufType)
		if err != nil {
			return err
		}
		fmt.Printf("  capture formats %s\n", formatList(f))
		if len(f) > 0 {
			found++
		}
	}
	if found == 0 {
		return fmt.Errorf("no capture node with formats (driver %q) among %d video nodes", *driver, len(nodes))
	}
	return nil
}

// runM2M finds memory-to-memory nodes by capability (V4L2_CAP_VIDEO_M2M or
// _M2M_MPLANE) and prints the formats of both queues: OUTPUT is what the
// application feeds in, CAPTURE what it gets back.
func runM2M(args []string) error {
	fs := flag.NewFlagSet("m2m", flag.ExitOnError)
	driver := fs.String("driver", "", "want an M2M node of this driver (empty: any)")
	encoder := fs.Bool("encoder", false, "also want an encoder: raw OUTPUT formats, compressed CAPTURE formats")
	fs.Parse(args)

	nodes, err := openVideoNodes()
	defer closeVideoNodes(nodes)
	if err != nil {
		return err
	}
	found, encoders := 0, 0
	for _, n := range nodes {
		if n.caps&(capVideoM2M|capVideoM2MMplane) == 0 || (*driver != "" && n.driver() != *driver) {
			continue
		}
		outType, capType := uint32(bufTypeVideoOutput), uint32(bufTypeVideoCapture)
		if n.caps&capVideoM2MMplane != 0 {
			outType, capType = bufTypeVideoOutputMplane, bufTypeVideoCaptureMplane
		}
		out, err := enumFormats(n, outType)
		if err != nil {
			return err
		}
		capt, err := enumFormats(n, capType)
		if err != nil {
			return err
		}
		role := roleOf(out, capt)
		fmt.Printf("%s\n  m2m role=%s\n  OUTPUT formats %s\n  CAPTURE formats %s\n", n, role, formatList(out), formatList(capt))
		if len(out) > 0 && len(capt) > 0 {
			found++
		}
		if role == "encoder" {
			encoders++
		}
	}
	switch {
	case found == 0:
		return fmt.Errorf("no M2M node with formats on both queues (driver %q) among %d video nodes", *driver, len(nodes))
	case *encoder && encoders == 0:
		return errors.New("no M2M encoder (raw OUTPUT, compressed CAPTURE) found")
	}
	return nil
}

// roleOf tells an encoder (raw in, compressed out) from a decoder.
func roleOf(out, capt []format) string {
	allCompressed := func(fs []format) bool {
		for _, f := range fs {
			if !f.compressed() {
				return false
			}
		}
		return len(fs) > 0
	}
	switch {
	case allCompressed(capt) && !allCompressed(out):
		return "encoder"
	case allCompressed(out) && !allCompressed(capt):
		return "decoder"
	}
	return "converter"
}
