# Chart for bench/standalone-vs-inetd.sh, drawn by bench/report.py, which writes the data and runs
#   gnuplot -e "datafile='bench/results/standalone-vs-inetd.dat'; outfile='x.png'; nservers=4; subtitle='...'" \
#           bench/standalone-vs-inetd.gp
# datafile: index 0 req/s and index 1 CPU µs/request, one row per workload and one column per server
# (the first row names the servers); index 2: one row per server: name, cold TTFB median (ms), idle RSS (MiB).
if (!exists("datafile")) datafile = 'bench/results/standalone-vs-inetd.dat'
if (!exists("outfile")) outfile = 'bench/results/standalone-vs-inetd.png'
if (!exists("nservers")) nservers = 4
if (!exists("subtitle")) subtitle = ''

set encoding utf8
set terminal pngcairo size 1500,1050 font 'DejaVu Sans,11' noenhanced
set output outfile
set datafile missing '?'

# one colour per server, in the order of the data's columns and rows
set linetype 1 lc rgb '#1f5fa8'
set linetype 2 lc rgb '#8fbbe8'
set linetype 3 lc rgb '#2e8b57'
set linetype 4 lc rgb '#e08a1e'

# the log panels start a little below their smallest bar, so that every bar shows
ymin0 = 1e30
ymin1 = 1e30
do for [i=2:nservers+1] {
    stats datafile index 0 using i nooutput
    if (STATS_min < ymin0) { ymin0 = STATS_min }
    stats datafile index 1 using i nooutput
    if (STATS_min < ymin1) { ymin1 = STATS_min }
}

set multiplot layout 2,2 title "httpd stand-alone vs. httpd --inetd under xinetd (nginx stand-alone and busybox httpd -i under xinetd for reference)\n".subtitle font ',13'

set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border rgb '#333333'
set grid ytics
set key top right font ',10'
set xtics font ',10'

set logscale y
set yrange [ymin0 / 3 : *]
set format y '%.0s%c'
set title 'Requests per second, by workload (log scale; higher is better)'
set ylabel 'req/s'
plot for [i=2:nservers+1] datafile index 0 using i:xtic(1) title columnheader(i)

set yrange [ymin1 / 3 : *]
set format y '%g'
set title 'Server CPU time per request, all its processes (log scale; lower is better)'
set ylabel 'µs of CPU per request'
plot for [i=2:nservers+1] datafile index 1 using i:xtic(1) title columnheader(i)

unset logscale y
set key off
set boxwidth 0.6
set xrange [-0.6:nservers-0.4]
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0

set title 'Cold request: time to first byte, median (lower is better)'
set ylabel 'ms'
plot datafile index 2 using 0:2:($0+1):xtic(1) with boxes lc variable, \
     '' index 2 using 0:2:(sprintf('%.2f ms', $2)) with labels offset 0,0.8

set title 'Idle resident memory, all processes of the service (super-server included)'
set ylabel 'MiB (RSS)'
plot datafile index 2 using 0:3:($0+1):xtic(1) with boxes lc variable, \
     '' index 2 using 0:3:(sprintf('%.1f MiB', $3)) with labels offset 0,0.8

unset multiplot
