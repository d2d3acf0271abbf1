package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"

	"camagent/capture"
	"camagent/encode"
)

// The enumerations, replaceable in tests (the build host has no devices).
var (
	listCameras  = capture.ListCameras
	listEncoders = encode.ListM2MEncoders
)

// deviceList is the `devices --json` document.
type deviceList struct {
	Cameras  []capture.CameraInfo `json:"cameras"`
	Encoders []encode.M2MInfo     `json:"encoders"`
}

// runDevices lists the V4L2 cameras and M2M encoders. Exit 0 when the
// enumeration worked, even if nothing was found; 1 when a node could not
// be opened (the rest is still printed; the reason goes to stderr).
func runDevices(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("devices", flag.ContinueOnError)
	fset.SetOutput(stderr)
	asJSON := fset.Bool("json", false, "print JSON instead of a table")
	if err := fset.Parse(args); err != nil || fset.NArg() != 0 {
		if err == nil {
			fmt.Fprintf(stderr, "camagent devices: unexpected argument %q\n%s", fset.Arg(0), usage)
		}
		return exitUsage
	}
	code := exitOK
	cams, err := listCameras()
	if err != nil {
		fmt.Fprintf(stderr, "camagent devices: %v\n", err)
		code = exitFailure
	}
	encs, err := listEncoders()
	if err != nil && code == exitOK { // same nodes, same error: say it once
		fmt.Fprintf(stderr, "camagent devices: %v\n", err)
		code = exitFailure
	}
	if cams == nil {
		cams = []capture.CameraInfo{}
	}
	if encs == nil {
		encs = []encode.M2MInfo{}
	}
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(deviceList{Cameras: cams, Encoders: encs}); err != nil {
			fmt.Fprintf(stderr, "camagent devices: %v\n", err)
			return exitFailure
		}
		return code
	}
	printDevices(stdout, cams, encs)
	return code
}

func printDevices(w io.Writer, cams []capture.CameraInfo, encs []encode.M2MInfo) {
	fmt.Fprintf(w, "CAMERAS (%d)\n", len(cams))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tCARD\tDRIVER\tBUS\tPLANES\tFORMATS\tCONTROLS")
	if len(cams) == 0 {
		fmt.Fprintln(tw, "(none found)")
	}
	for _, c := range cams {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\n", c.Path, c.Card, c.Driver, c.BusInfo, planes(c.MultiPlanar), len(c.Formats), len(c.Controls))
	}
	tw.Flush()
	for _, c := range cams {
		fmt.Fprintf(w, "\n%s (%s): %s\n", c.Path, c.Card, strings.Join(c.Capabilities, " "))
		for _, e := range c.Errors {
			fmt.Fprintf(w, "  error: %s\n", e)
		}
		fmt.Fprintf(w, "  formats (%d; * = the agent can use it):\n", len(c.Formats))
		for i, f := range c.Formats {
			mark := " "
			if f.Supported {
				mark = "*"
			}
			var flags []string
			if f.Compressed {
				flags = append(flags, "compressed")
			}
			if f.Emulated {
				flags = append(flags, "emulated")
			}
			extra := ""
			if len(flags) > 0 {
				extra = " (" + strings.Join(flags, ", ") + ")"
			}
			fmt.Fprintf(w, "  %s %-6s %s%s\n", mark, f.FourCC, f.Description, extra)
			if i > 0 && len(f.Sizes) > 0 && reflect.DeepEqual(f.Sizes, c.Formats[i-1].Sizes) {
				fmt.Fprintf(w, "        (sizes and rates as above)\n")
				continue
			}
			for _, s := range f.Sizes {
				rates := make([]string, len(s.Rates))
				for i, r := range s.Rates {
					rates[i] = r.String()
				}
				fps := "fps not enumerated"
				if len(rates) > 0 {
					fps = "fps " + strings.Join(rates, " ")
				}
				fmt.Fprintf(w, "        %-11s %s\n", s.String(), fps)
			}
		}
		fmt.Fprintf(w, "  controls (%d):\n", len(c.Controls))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, k := range c.Controls {
			flags := ""
			if len(k.Flags) > 0 {
				flags = "(" + strings.Join(k.Flags, ", ") + ")"
			}
			fmt.Fprintf(tw, "    %#08x\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.TypeName(), flags, k.Range())
		}
		tw.Flush()
	}

	fmt.Fprintf(w, "\nM2M ENCODERS (%d)\n", len(encs))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tCARD\tDRIVER\tPLANES\tAGENT\tCAPTURE (coded)\tOUTPUT (raw)")
	if len(encs) == 0 {
		fmt.Fprintln(tw, "(none found)")
	}
	for _, e := range encs {
		usable := "no"
		if e.Usable {
			usable = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Path, e.Card, e.Driver, planes(e.MultiPlanar), usable,
			fourccs(e.Capture), fourccs(e.Output))
	}
	tw.Flush()
}

func planes(multi bool) string {
	if multi {
		return "multi"
	}
	return "single"
}

func fourccs(fs []encode.M2MFormatInfo) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = f.FourCC
	}
	return strings.Join(s, " ")
}
