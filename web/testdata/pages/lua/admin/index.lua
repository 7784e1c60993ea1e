sendHTTPHeader("text/plain", nil, { ["X-Page"] = "admin" })
print("admin area")
