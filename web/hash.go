package web

import "crypto/sha256"

func hashCredential(password string) [32]byte {
	return sha256.Sum256([]byte("flowgate:" + password))
}
