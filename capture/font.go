package capture

// A 5x7 bitmap font for burned-in text. Each glyph is seven rows of five
// bits, most significant bit on the left. Only the characters the overlay
// needs are defined (digits, ':', '.', '-', '/', ' ' and A-Z); anything else
// renders blank, which keeps the table small enough to check by eye.
const (
	glyphW = 5
	glyphH = 7
)

const fontFirst = ' '

var font = [...][glyphH]uint8{
	' ' - fontFirst: {},
	'-' - fontFirst: {0, 0, 0, 0b11111, 0, 0, 0},
	'.' - fontFirst: {0, 0, 0, 0, 0, 0b01100, 0b01100},
	'/' - fontFirst: {0, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0},
	'0' - fontFirst: {0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110},
	'1' - fontFirst: {0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110},
	'2' - fontFirst: {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111},
	'3' - fontFirst: {0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110},
	'4' - fontFirst: {0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010},
	'5' - fontFirst: {0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110},
	'6' - fontFirst: {0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110},
	'7' - fontFirst: {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000},
	'8' - fontFirst: {0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110},
	'9' - fontFirst: {0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100},
	':' - fontFirst: {0, 0b01100, 0b01100, 0, 0b01100, 0b01100, 0},
	'A' - fontFirst: {0b01110, 0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001},
	'B' - fontFirst: {0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110},
	'C' - fontFirst: {0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110},
	'D' - fontFirst: {0b11100, 0b10010, 0b10001, 0b10001, 0b10001, 0b10010, 0b11100},
	'E' - fontFirst: {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111},
	'F' - fontFirst: {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000},
	'G' - fontFirst: {0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111},
	'H' - fontFirst: {0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001},
	'I' - fontFirst: {0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110},
	'J' - fontFirst: {0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100},
	'K' - fontFirst: {0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001},
	'L' - fontFirst: {0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111},
	'M' - fontFirst: {0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001},
	'N' - fontFirst: {0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001},
	'O' - fontFirst: {0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110},
	'P' - fontFirst: {0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000},
	'Q' - fontFirst: {0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101},
	'R' - fontFirst: {0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001},
	'S' - fontFirst: {0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110},
	'T' - fontFirst: {0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100},
	'U' - fontFirst: {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110},
	'V' - fontFirst: {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100},
	'W' - fontFirst: {0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010},
	'X' - fontFirst: {0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001},
	'Y' - fontFirst: {0b10001, 0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100},
	'Z' - fontFirst: {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111},
}

// glyph returns the rows of c, blank for characters the font lacks.
func glyph(c byte) *[glyphH]uint8 {
	i := int(c) - fontFirst
	if i < 0 || i >= len(font) {
		return &font[0]
	}
	return &font[i]
}
