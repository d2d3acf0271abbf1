package encode

// splitAnnexB appends to dst the NAL units of an Annex-B byte stream, without
// start codes. The units alias b. It allocates only when dst must grow, so a
// reused dst keeps the per-frame path free of allocations.
func splitAnnexB(dst [][]byte, b []byte) [][]byte {
	start := -1
	i := 0
	for i+2 < len(b) {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				dst = appendNALU(dst, b[start:i])
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 && start < len(b) {
		dst = appendNALU(dst, b[start:])
	}
	return dst
}

// appendNALU trims the zero bytes that belong to the next 4-byte start code
// (or are trailing_zero_8bits) and drops empty units.
func appendNALU(dst [][]byte, n []byte) [][]byte {
	for len(n) > 0 && n[len(n)-1] == 0 {
		n = n[:len(n)-1]
	}
	if len(n) == 0 {
		return dst
	}
	return append(dst, n)
}
