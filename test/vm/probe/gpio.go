//go:build linux

package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// GPIO_V2_LINE_FLAG_* from linux/gpio.h.
var lineFlagNames = []struct {
	bit  uint64
	name string
}{
	{1 << 0, "used"}, {1 << 1, "active-low"}, {1 << 2, "input"}, {1 << 3, "output"},
	{1 << 4, "edge-rising"}, {1 << 5, "edge-falling"}, {1 << 6, "open-drain"},
	{1 << 7, "open-source"}, {1 << 8, "pull-up"}, {1 << 9, "pull-down"},
	{1 << 10, "bias-disabled"},
}

// chipWant is one -chip flag: a label and the line names it must have.
type chipWant struct {
	label string
	lines []string
}

type chipWants []chipWant

func (w *chipWants) String() string { return fmt.Sprint(*w) }

func (w *chipWants) Set(v string) error {
	label, lines, _ := strings.Cut(v, "=")
	c := chipWant{label: label}
	if lines != "" {
		c.lines = strings.Split(lines, ",")
	}
	*w = append(*w, c)
	return nil
}

// runGPIO prints every /dev/gpiochipN with its lines (chip info ioctl, then
// the v2 line info ioctl per line) and checks the wanted chips and lines.
func runGPIO(args []string) error {
	fs := flag.NewFlagSet("gpio", flag.ExitOnError)
	var wants chipWants
	fs.Var(&wants, "chip", "want a chip with this label, optionally with named lines: LABEL[=NAME,NAME...] (repeatable)")
	fs.Parse(args)

	paths, _ := filepath.Glob("/dev/gpiochip*")
	sort.Slice(paths, func(i, j int) bool { return devNum(paths[i]) < devNum(paths[j]) })
	if len(paths) == 0 {
		return fmt.Errorf("no /dev/gpiochip* nodes")
	}
	lines := map[string]map[string]bool{} // label -> line names
	for _, p := range paths {
		label, names, err := describeChip(p)
		if err != nil {
			return err
		}
		lines[label] = names
	}
	for _, w := range wants {
		names, ok := lines[w.label]
		if !ok {
			return fmt.Errorf("no GPIO chip labelled %q", w.label)
		}
		for _, l := range w.lines {
			if !names[l] {
				return fmt.Errorf("GPIO chip %q has no line named %q", w.label, l)
			}
		}
	}
	return nil
}

// describeChip prints one chip and returns its label and line names.
func describeChip(path string) (string, map[string]bool, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(fd)
	var info gpiochipInfo
	if err := ioctl(fd, gpioGetChipinfo, unsafe.Pointer(&info)); err != nil {
		return "", nil, fmt.Errorf("GPIO_GET_CHIPINFO_IOCTL %s: %w", path, err)
	}
	label := cstr(info.Label[:])
	fmt.Printf("%s: name=%s label=%s lines=%d\n", path, cstr(info.Name[:]), label, info.Lines)
	names := map[string]bool{}
	var desc []string
	for off := uint32(0); off < info.Lines; off++ {
		li := gpioV2LineInfo{Offset: off}
		if err := ioctl(fd, gpioV2GetLineinfo, unsafe.Pointer(&li)); err != nil {
			return "", nil, fmt.Errorf("GPIO_V2_GET_LINEINFO_IOCTL %s line %d: %w", path, off, err)
		}
		name := cstr(li.Name[:])
		if name != "" {
			names[name] = true
		} else {
			name = "-"
		}
		var flags []string
		for _, f := range lineFlagNames {
			if li.Flags&f.bit != 0 {
				flags = append(flags, f.name)
			}
		}
		desc = append(desc, fmt.Sprintf("%d=%s(%s)", off, name, strings.Join(flags, ",")))
	}
	fmt.Printf("  lines %s\n", strings.Join(desc, " "))
	return label, names, nil
}
