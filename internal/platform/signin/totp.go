package signin

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"lumdesk/internal/platform/ids"
)

// Enrolment is what a two-factor enrolment page shows.
type Enrolment struct {
	Secret string // base32, for manual entry
	URL    string // otpauth:// URL
	QRPNG  string // data: URL of the QR code
}

var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTP makes a fresh TOTP secret for account (an email) under issuer.
func NewTOTP(issuer, account string) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return Enrolment{}, err
	}
	return enrolmentFor(key)
}

// EnrolmentFor rebuilds the enrolment of a stored (pending) secret.
func EnrolmentFor(issuer, account, secret string) (Enrolment, error) {
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account}
	u.RawQuery = url.Values{"secret": {secret}, "issuer": {issuer}, "period": {"30"}, "digits": {"6"}, "algorithm": {"SHA1"}}.Encode()
	key, err := otp.NewKeyFromURL(u.String())
	if err != nil {
		return Enrolment{}, err
	}
	return enrolmentFor(key)
}

func enrolmentFor(key *otp.Key) (Enrolment, error) {
	img, err := key.Image(200, 200)
	if err != nil {
		return Enrolment{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL(), QRPNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// MatchTOTP finds the time step (current, or one either side) whose code is
// code. The caller accepts it only if the step is newer than the last one
// it accepted for that user, which makes each code single-use.
func MatchTOTP(secret, code string, now time.Time) (step int64, ok bool, err error) {
	if len(code) != 6 {
		return 0, false, nil
	}
	for _, off := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(off) * 30 * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err != nil {
			return 0, false, fmt.Errorf("totp: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / 30, true, nil
		}
	}
	return 0, false, nil
}

// NewRecoveryCodes makes ten single-use recovery codes ("abcde-fghij"); keep
// only RecoveryHash of each.
func NewRecoveryCodes() []string {
	codes := make([]string, 10)
	for i := range codes {
		c := ids.Token(10)
		codes[i] = strings.ToLower(c[:5] + "-" + c[5:])
	}
	return codes
}

// RecoveryHash is the stored form of a recovery code as typed (any case,
// with or without the dash and spaces).
func RecoveryHash(code string) []byte {
	return ids.Hash(strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(code), "-", ""), " ", "")))
}

// SecondFactor checks a typed second-factor code: a TOTP code through
// totpOK (which also makes its step single-use), else, for anything longer
// than six characters, a recovery code through useRecovery (given the
// code's hash; true when an unused code was consumed). method names what
// worked, for the audit history.
func SecondFactor(code string, totpOK func(code string) (bool, error), useRecovery func(hash []byte) (bool, error)) (method string, ok bool, err error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if ok, err = totpOK(code); err != nil || ok {
		return "totp", ok, err
	}
	if len(code) <= 6 {
		return "totp", false, nil
	}
	ok, err = useRecovery(RecoveryHash(code))
	return "recovery_code", ok, err
}
