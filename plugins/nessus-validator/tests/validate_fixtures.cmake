# scanorchctl validate --json on every fixture: exit code, authentication
# status, host count and severity breakdown, read back with string(JSON).
set(cases
    # file | scan type | exit | authentication_status | hosts | critical,high,medium,low,info
    "mitre-heimdall2__sample.nessus|trusted_basic|0|partial|3|1,1,5,2,140"
    "pytenable__example.nessus|trusted_basic|0|success|1|7,77,9,2,135"
    "libnessus__nessus_report_test_local.nessus|trusted_basic|0|partial|2|1,0,19,8,119"
    "libnessus__nessus_report_local_3.nessus|trusted_basic|1|failed|3|2,3,20,10,71"
    "libnessus__nessus_report_local2.nessus|trusted_privileged|0|success|1|0,0,1,0,61"
    "defectdojo__nessus_v_unknown.nessus|trusted_basic|1|failed|7|0,0,23,7,266"
    "defectdojo__nessus_with_cvssv3.nessus|untrusted|0|not_applicable|1|2,10,13,1,23"
    "defectdojo__issue_6992.nessus|trusted_basic|1|unknown|1|0,0,1,0,0"
    "defectdojo__nessus_was_one_vuln.nessus|trusted_basic|1|unknown|1|0,1,0,0,0"
    "dradis__example_v2.nessus|trusted_basic|1|unknown|2|0,0,3,47,19")
# The validator from the build tree, whatever scanorch.yaml says elsewhere.
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/validate-test.yaml
     "plugin_dir: ${PLUGIN_DIR}\nplugins:\n  validator: {use: nessus-validator}\n")
set(cfg ${CMAKE_CURRENT_BINARY_DIR}/validate-test.yaml)
foreach(case IN LISTS cases)
    string(REPLACE "|" ";" f "${case}")
    list(GET f 0 file)
    list(GET f 1 type)
    list(GET f 2 want_exit)
    list(GET f 3 want_auth)
    list(GET f 4 want_hosts)
    list(GET f 5 want_sev)
    execute_process(COMMAND ${SCANORCHCTL} --config ${cfg} validate ${FIXTURES}/${file} --scan-type ${type} --json
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL want_exit)
        message(FATAL_ERROR "${file}: exit ${rc}, expected ${want_exit}\n${out}\n${err}")
    endif()
    string(JSON auth GET "${out}" authentication_status)
    string(JSON hosts GET "${out}" stats hosts_scanned)
    set(sev "")
    foreach(level critical high medium low info)
        string(JSON n GET "${out}" stats severity_breakdown ${level})
        list(APPEND sev ${n})
    endforeach()
    string(REPLACE ";" "," sev "${sev}")
    if(NOT auth STREQUAL want_auth OR NOT hosts EQUAL want_hosts OR NOT sev STREQUAL want_sev)
        message(FATAL_ERROR "${file}: got ${auth}/${hosts} hosts/${sev}, expected ${want_auth}/${want_hosts}/${want_sev}\n${out}")
    endif()
    foreach(key is_valid error warnings stats)
        string(JSON _type ERROR_VARIABLE missing TYPE "${out}" ${key})
        if(missing)
            message(FATAL_ERROR "${file}: --json output has no '${key}'")
        endif()
    endforeach()
    message("ok ${file} (${type}): ${auth}, ${hosts} hosts, ${sev}")
endforeach()

# The malformed export: exit 1 and an error naming line and column.
execute_process(COMMAND ${SCANORCHCTL} --config ${cfg} validate ${FIXTURES}/ruby-nessus__example_v2_malformed.nessus
                        --scan-type trusted_basic --json RESULT_VARIABLE rc OUTPUT_VARIABLE out)
string(JSON error GET "${out}" error)
if(NOT rc EQUAL 1 OR NOT error MATCHES "line 1488, column 33")
    message(FATAL_ERROR "malformed export: exit ${rc}, error '${error}'")
endif()
message("ok malformed: ${error}")
# A usage error exits 2.
execute_process(COMMAND ${SCANORCHCTL} --config ${cfg} validate ${FIXTURES}/pytenable__example.nessus --scan-type sneaky
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 2)
    message(FATAL_ERROR "bad --scan-type: exit ${rc}, expected 2: ${err}")
endif()
