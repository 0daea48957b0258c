// Package secretbox seals secrets we must read back (TOTP seeds, signing
// secrets, DKIM keys) with AES-256-GCM under the master key.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// ErrOpen means the ciphertext was tampered with or sealed under another key.
var ErrOpen = errors.New("secretbox: cannot open sealed value")

// Box seals and opens values. The zero value is not usable; use New.
type Box struct {
	aead cipher.AEAD
	key  []byte // for Derive
}

// New makes a Box from a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secretbox: key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead, key: append([]byte(nil), key...)}, nil
}

// Seal encrypts plaintext; context binds it to its use (e.g. "totp:42") so a
// sealed value cannot be moved to another row.
func (b *Box) Seal(plaintext []byte, context string) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return b.aead.Seal(nonce, nonce, plaintext, []byte(context))
}

// Open decrypts a value made by Seal with the same context.
func (b *Box) Open(sealed []byte, context string) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return nil, ErrOpen
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], []byte(context))
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

// Derive is a 32-byte key for one use (context), the same on every node
// that shares the master key and unrelated to it and to other contexts
// (HMAC-SHA256). The Discord sandbox derives its signing key this way.
func (b *Box) Derive(context string) []byte {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte("lumdesk derive:" + context))
	return m.Sum(nil)
}
