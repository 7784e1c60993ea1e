package api
import "time"
const defaultHTTPTimeout = 10 * time.Second
