package bundle_test

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"lumdesk/internal/marketplace/blob"
	"lumdesk/internal/marketplace/bundle"
)

// TestUploadIntoS3: an upload streams through the validator into a pending
// S3 blob; the accepted bundle lands in the bucket under its hash, a hostile
// one leaves the bucket empty.
func TestUploadIntoS3(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("bundles"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	env := map[string]string{"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}
	store, err := blob.FromURL("s3://bundles?endpoint="+srv.URL+"&region=us-east-1", "", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	hostile := targz(t, manifest("1.0.0"), file("../escape.js", "x"))
	if _, _, err := upload(t, store, hostile, bundle.DefaultLimits(), "1.0.0"); err == nil {
		t.Fatal("hostile bundle accepted")
	}
	if ok, _ := store.Exists(ctx, sum(hostile)); ok {
		t.Fatal("hostile bundle stored")
	}

	good := targz(t, manifest("1.0.0"), file("a.js", "console.log(1)\n"))
	facts, _, err := upload(t, store, good, bundle.DefaultLimits(), "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := store.Open(ctx, facts.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, _ := io.ReadAll(rc)
	if !bytes.Equal(got, good) {
		t.Fatal("bucket holds different bytes")
	}
	list, err := backend.ListBucket("bundles", nil, gofakes3.ListBucketPage{})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("bucket lists %v (%v), want the one accepted bundle", list, err)
	}
}
