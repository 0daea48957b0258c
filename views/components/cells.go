package components

// KeyTail is how many closing characters of a key stay in sight when the
// key is cut in the middle.
const KeyTail = 6

// SplitKey splits a key into the head that may shrink behind an ellipsis and
// the tail that always shows. A key too short to cut is all head, and the
// split never falls inside a multi-byte character.
func SplitKey(key string) (head, tail string) {
	r := []rune(key)
	if len(r) <= 2*KeyTail {
		return key, ""
	}
	return string(r[:len(r)-KeyTail]), string(r[len(r)-KeyTail:])
}
