package modules

import (
	"net/http"

	lua "github.com/yuin/gopher-lua"
)

// RESTCode is one of ntopng's rest_utils.consts: the envelope's rc and
// rc_str, the HTTP status the answer carries and the human text of
// rc_str_hr. RESTCodes is the one table of them: the rest_utils Lua module
// (rest_utils.consts.success/err) and the web layer's Go envelope are both
// built from it (web/README.md, "Lua pages").
type RESTCode struct {
	Name    string // the key under rest_utils.consts.success or .err
	Success bool   // under consts.success (rc >= 0)
	RC      int
	Str     string // rc_str
	HTTP    int
	Human   string // rc_str_hr (ntopng's English i18n of rest_consts.<Str>)
}

// RESTCodes are ntopng's codes, rc and rc_str as its REST v2 specification
// lists them; the HTTP statuses of rc 0..-8 are ntopng's documented ones,
// the others follow ntopng's rule for their kind (409 for conflicts with
// the stored state, 400 for bad input, 404 for missing things).
var RESTCodes = []RESTCode{
	{"ok", true, 0, "OK", http.StatusOK, "Success"},
	{"snmp_device_deleted_successfully", true, 0, "SNMP_DEVICE_DELETED_SUCCESSFULLY", http.StatusOK, "SNMP device deleted"},

	{"not_found", false, -1, "NOT_FOUND", http.StatusNotFound, "Not found"},
	{"invalid_interface", false, -2, "INVALID_INTERFACE", http.StatusBadRequest, "Invalid interface"},
	{"not_granted", false, -3, "NOT_GRANTED", http.StatusUnauthorized, "Not granted"},
	{"invalid_host", false, -4, "INVALID_HOST", http.StatusBadRequest, "Invalid host"},
	{"invalid_args", false, -5, "INVALID_ARGUMENTS", http.StatusBadRequest, "Invalid arguments"},
	{"internal_error", false, -6, "INTERNAL_ERROR", http.StatusInternalServerError, "Internal error"},
	{"bad_format", false, -7, "BAD_FORMAT", http.StatusBadRequest, "Bad format"},
	{"bad_content", false, -8, "BAD_CONTENT", http.StatusBadRequest, "Bad content"},
	{"resolution_failed", false, -9, "NAME_RESOLUTION_FAILED", http.StatusBadRequest, "Name resolution failed"},
	{"snmp_device_already_added", false, -10, "SNMP_DEVICE_ALREADY_ADDED", http.StatusConflict, "SNMP device already added"},
	{"snmp_device_unreachable", false, -11, "SNMP_DEVICE_UNREACHABLE", http.StatusBadRequest, "SNMP device unreachable"},
	{"no_snmp_device_discovered", false, -12, "NO_SNMP_DEVICE_DISCOVERED", http.StatusBadRequest, "No SNMP device discovered"},
	{"add_pool_failed", false, -13, "ADD_POOL_FAILED", http.StatusConflict, "Add pool failed"},
	{"edit_pool_failed", false, -14, "EDIT_POOL_FAILED", http.StatusConflict, "Edit pool failed"},
	{"delete_pool_failed", false, -15, "DELETE_POOL_FAILED", http.StatusConflict, "Delete pool failed"},
	{"pool_not_found", false, -16, "POOL_NOT_FOUND", http.StatusConflict, "Pool not found"},
	{"bind_pool_member_failed", false, -17, "BIND_POOL_MEMBER_FAILED", http.StatusConflict, "Bind pool member failed"},
	{"bind_pool_member_already_bound", false, -18, "BIND_POOL_MEMBER_ALREADY_BOUND", http.StatusConflict, "Pool member already bound"},
	{"password_mismatch", false, -19, "PASSWORD_MISMATCH", http.StatusConflict, "Password mismatch"},
	{"add_user_failed", false, -20, "ADD_USER_FAILED", http.StatusConflict, "Add user failed"},
	{"delete_user_failed", false, -21, "DELETE_USER_FAILED", http.StatusConflict, "Delete user failed"},
	{"snmp_unknown_device", false, -22, "SNMP_UNKNOWN_DEVICE", http.StatusBadRequest, "Unknown SNMP device"},
	{"user_already_existing", false, -23, "USER_ALREADY_EXISTING", http.StatusConflict, "User already existing"},
	{"user_does_not_exist", false, -23, "USER_DOES_NOT_EXIST", http.StatusConflict, "User does not exist"},
	{"edit_user_failed", false, -24, "EDIT_USER_FAILED", http.StatusConflict, "Edit user failed"},
	{"snmp_device_interface_status_change_failed", false, -26, "SNMP_DEVICE_INTERFACE_STATUS_CHANGE_FAILED", http.StatusBadRequest, "SNMP interface status change failed"},
	{"configuration_file_mismatch", false, -27, "CONFIGURATION_FILE_MISMATCH", http.StatusBadRequest, "Configuration file mismatch"},
	{"partial_import", false, -28, "PARTIAL_IMPORT", http.StatusConflict, "Partial import"},
	{"infrastructure_instance_not_found", false, -32, "INFRASTRUCTURE_INSTANCE_NOT_FOUND", http.StatusNotFound, "Infrastructure instance not found"},
	{"infrastructure_instance_empty_id", false, -33, "INFRASTRUCTURE_INSTANCE_EMPTY_ID", http.StatusBadRequest, "Empty infrastructure instance id"},
	{"infrastructure_instance_empty_alias", false, -34, "INFRASTRUCTURE_INSTANCE_EMPTY_ALIAS", http.StatusBadRequest, "Empty infrastructure instance alias"},
	{"infrastructure_instance_empty_url", false, -35, "INFRASTRUCTURE_INSTANCE_EMPTY_URL", http.StatusBadRequest, "Empty infrastructure instance URL"},
	{"infrastructure_instance_empty_token", false, -36, "INFRASTRUCTURE_INSTANCE_EMPTY_TOKEN", http.StatusBadRequest, "Empty infrastructure instance token"},
	{"infrastructure_instance_empty_rtt_threshold", false, -37, "INFRASTRUCTURE_INSTANCE_EMPTY_RTT_THRESHOLD", http.StatusBadRequest, "Empty infrastructure instance RTT threshold"},
	{"infrastructure_instance_same_alias", false, -39, "INFRASTRUCTURE_INSTANCE_SAME_ALIAS", http.StatusConflict, "Infrastructure instance alias already used"},
	{"infrastructure_instance_same_url", false, -40, "INFRASTRUCTURE_INSTANCE_SAME_URL", http.StatusConflict, "Infrastructure instance URL already used"},
	{"infrastructure_instance_same_token", false, -41, "INFRASTRUCTURE_INSTANCE_SAME_TOKEN", http.StatusConflict, "Infrastructure instance token already used"},
	{"infrastructure_instance_already_existing", false, -42, "INFRASTRUCTURE_INSTANCE_ALREADY_EXISTING", http.StatusConflict, "Infrastructure instance already existing"},
	{"infrastructure_instance_check_failed", false, -43, "INFRASTRUCTURE_INSTANCE_CHECK_FAILED", http.StatusBadRequest, "Infrastructure instance check failed"},
	{"infrastructure_instance_check_not_found", false, -44, "INFRASTRUCTURE_INSTANCE_CHECK_NOT_FOUND", http.StatusNotFound, "Infrastructure instance check: not found"},
	{"infrastructure_instance_check_invalid_response", false, -45, "INFRASTRUCTURE_INSTANCE_CHECK_INVALID_RESPONSE", http.StatusBadRequest, "Infrastructure instance check: invalid response"},
	{"infrastructure_instance_check_auth_failed", false, -46, "INFRASTRUCTURE_INSTANCE_CHECK_AUTH_FAILED", http.StatusUnauthorized, "Infrastructure instance check: authentication failed"},
	{"infrastructure_instance_empty_bandwidth_threshold", false, -47, "INFRASTRUCTURE_INSTANCE_EMPTY_BANDWIDTH_THRESHOLD", http.StatusBadRequest, "Empty infrastructure instance bandwidth threshold"},
}

// RESTCodeByName returns the code under rest_utils.consts.success.<name> or
// .err.<name>; it panics on an unknown name, as callers name codes in
// source (a typo is a build defect caught by any test).
func RESTCodeByName(name string) RESTCode {
	for _, c := range RESTCodes {
		if c.Name == name {
			return c
		}
	}
	panic("modules: unknown REST code " + name)
}

// loadRESTConsts builds the flowgate_rest module rest_utils.lua reads:
// {success = {ok = {http_code, rc, str, str_hr}}, err = {...}} from
// RESTCodes.
func loadRESTConsts(L *lua.LState) int {
	m := L.CreateTable(0, 2)
	success, errs := L.NewTable(), L.NewTable()
	for _, c := range RESTCodes {
		t := L.CreateTable(0, 4)
		t.RawSetString("http_code", lua.LNumber(c.HTTP))
		t.RawSetString("rc", lua.LNumber(c.RC))
		t.RawSetString("str", lua.LString(c.Str))
		t.RawSetString("str_hr", lua.LString(c.Human))
		if c.Success {
			success.RawSetString(c.Name, t)
		} else {
			errs.RawSetString(c.Name, t)
		}
	}
	m.RawSetString("success", success)
	m.RawSetString("err", errs)
	L.Push(m)
	return 1
}
