# Shared by the benchmarks (sourced): the reference nginx configuration, printed on stdout.
# nginx_conf PORT ROOT MASTER_PROCESS(on|off): one worker, sendfile on, access log off, keep-alive
# requests unlimited, every temporary path inside the prefix (-p) so nothing outside it is touched.
nginx_conf() {
    local mime='types { text/html html; }' user=""
    [ -r /etc/nginx/mime.types ] && mime='include /etc/nginx/mime.types;'
    # As root with a master process, the worker must still read the 0700 temporary folder.
    [ "$3" = on ] && [ "$(id -u)" -eq 0 ] && user="user root root;"
    cat <<EOF2
$user
worker_processes 1;
daemon off;
master_process $3;
pid nginx.pid;
error_log nginx-error.log warn;
events { worker_connections 1024; }
http {
    $mime
    default_type application/octet-stream;
    charset utf-8;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 75s;
    keepalive_requests 1000000000;
    client_body_temp_path nginx-tmp/body;
    proxy_temp_path nginx-tmp/proxy;
    fastcgi_temp_path nginx-tmp/fastcgi;
    uwsgi_temp_path nginx-tmp/uwsgi;
    scgi_temp_path nginx-tmp/scgi;
    server {
        listen 127.0.0.1:$1;
        root $2;
    }
}
EOF2
}
