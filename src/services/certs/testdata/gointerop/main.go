// Command gointerop checks the webhook certificates the way Go programs (kube-apiserver, the original operator)
// see them. It is a test fixture of src/services/certs/GoInterop.test.ts and uses the standard library only.
//
//	gointerop verify <dir> <dns-name-or-ip>
//	    Verifies <dir>/tls.crt against the PEM bundle <dir>/bundle.crt for TLS server auth and the given name,
//	    loads <dir>/tls.crt + <dir>/tls.key as a TLS key pair, and parses <dir>/ca.key (PKCS#8 or SEC1) checking
//	    it belongs to the first certificate of the bundle.
//	gointerop legacy <dir> <namespace> <unix-seconds>
//	    Writes ca.crt, ca.key, tls.crt, tls.key in the original operator's format (spec §2.4): ECDSA P-256, keys as
//	    SEC1 DER under a "PRIVATE KEY" PEM label, CA 365 days, server 7 days, SANs of the webhook service.
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ok")
}

func run(args []string) error {
	if len(args) == 3 && args[0] == "verify" {
		return verify(args[1], args[2])
	}
	if len(args) == 4 && args[0] == "legacy" {
		seconds, err := strconv.ParseInt(args[3], 10, 64)
		if err != nil {
			return err
		}
		return legacy(args[1], args[2], time.Unix(seconds, 0).UTC())
	}
	return errors.New("usage: gointerop verify <dir> <name> | legacy <dir> <namespace> <unix-seconds>")
}

func read(dir, name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) }

func verify(dir, name string) error {
	bundle, err := read(dir, "bundle.crt")
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(bundle) {
		return errors.New("bundle: no certificates")
	}
	certPEM, err := read(dir, "tls.crt")
	if err != nil {
		return err
	}
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return errors.New("tls.crt: no PEM block")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fmt.Errorf("tls.crt: %w", err)
	}
	opts := x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if net.ParseIP(name) == nil {
		opts.DNSName = name
	} else if err := leaf.VerifyHostname(name); err != nil {
		return err
	}
	if _, err := leaf.Verify(opts); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	keyPEM, err := read(dir, "tls.key")
	if err != nil {
		return err
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return fmt.Errorf("tls key pair: %w", err)
	}
	caKeyPEM, err := read(dir, "ca.key")
	if err != nil {
		return err
	}
	keyBlock, _ := pem.Decode(caKeyPEM)
	if keyBlock == nil {
		return errors.New("ca.key: no PEM block")
	}
	var caKey *ecdsa.PrivateKey
	if parsed, err := x509.ParsePKCS8PrivateKey(keyBlock.Bytes); err == nil {
		key, ok := parsed.(*ecdsa.PrivateKey)
		if !ok {
			return errors.New("ca.key: not ECDSA")
		}
		caKey = key
	} else if caKey, err = x509.ParseECPrivateKey(keyBlock.Bytes); err != nil {
		return fmt.Errorf("ca.key: %w", err)
	}
	caBlock, _ := pem.Decode(bundle)
	ca, err := x509.ParseCertificate(caBlock.Bytes)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if !caKey.PublicKey.Equal(ca.PublicKey) {
		return errors.New("ca.key does not belong to the first bundle certificate")
	}
	return nil
}

func legacyKey() (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func legacy(dir, namespace string, now time.Time) error {
	domain := "dynatrace-webhook." + namespace
	name := pkix.Name{
		Country: []string{"AT"}, Province: []string{"UA"}, Locality: []string{"Linz"},
		Organization: []string{"Dynatrace"}, OrganizationalUnit: []string{"OneAgent Webhook"}, CommonName: domain,
	}
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	caKey, caKeyPEM, err := legacyKey()
	if err != nil {
		return err
	}
	caSerial, _ := rand.Int(rand.Reader, limit)
	caTemplate := &x509.Certificate{
		SerialNumber: caSerial, Subject: name, IsCA: true, BasicConstraintsValid: true,
		NotBefore: now, NotAfter: now.Add(365 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, caKey.Public(), caKey)
	if err != nil {
		return err
	}
	serverKey, serverKeyPEM, err := legacyKey()
	if err != nil {
		return err
	}
	serverSerial, _ := rand.Int(rand.Reader, limit)
	serverTemplate := &x509.Certificate{
		SerialNumber: serverSerial, Subject: name, BasicConstraintsValid: true,
		DNSNames:  []string{domain, domain + ".svc", domain + ".svc.cluster.local"},
		NotBefore: now, NotAfter: now.Add(7 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	serverDER, err := x509.CreateCertificate(rand.Reader, serverTemplate, caTemplate, serverKey.Public(), caKey)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"ca.crt":  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		"ca.key":  caKeyPEM,
		"tls.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: serverDER}),
		"tls.key": serverKeyPEM,
	}
	for file, content := range files {
		if err := os.WriteFile(filepath.Join(dir, file), bytes.TrimSpace(content), 0o600); err != nil {
			return err
		}
	}
	return nil
}
