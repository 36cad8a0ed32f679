<#
The lab's distance (tests/lab/LatencyRelay, lab.sh start --delay-ms): the relay delays every chunk by the one-way
delay in each direction, keeps chunks in flight (a chunk is not held back by the ones before it), passes TLS through
untouched, and lab.sh's kubeconfigs point at it. The delays asserted are lower bounds (the relay's function); the one
upper bound tells pipelining from store-and-forward, with a margin of several times the delay.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $ErrorActionPreference = 'Stop'
    $script:relayDll = Join-Path (Get-RepoRoot) 'out/LatencyRelay/LatencyRelay.dll'
    if (-not (Test-Path $relayDll)) {
        & dotnet build (Join-Path (Get-RepoRoot) 'tests/lab/LatencyRelay/LatencyRelay.csproj') -c Release -nologo -v quiet | Out-Null
    }

    function script:Start-Relay([int] $Target, [int] $DelayMs) {
        <# The relay on a free loopback port in front of $Target; returns its process and port once it listens. Readiness
           is read from the relay's first line, not probed with connections: a probe would be relayed to $Target too and
           could be taken, on a slow machine, for the connection a test makes. #>
        $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $probe.Start(); $port = $probe.LocalEndpoint.Port; $probe.Stop()
        $log = Join-Path ([IO.Path]::GetTempPath()) "relay-$port.log"
        $process = Start-Process dotnet -ArgumentList $relayDll, '--listen', "127.0.0.1:$port", '--target', "127.0.0.1:$Target", '--delay-ms', $DelayMs -PassThru -RedirectStandardOutput $log
        foreach ($i in 1..600) {
            if ((Test-Path $log) -and (Get-Content $log -Raw) -match '^relaying ') { break }
            if ($process.HasExited) { throw "the relay exited with code $($process.ExitCode) before listening" }
            Start-Sleep -Milliseconds 100
        }
        [pscustomobject]@{ Process = $process; Port = $port }
    }

    function script:Measure-Chunks([System.Net.Sockets.NetworkStream] $From, [System.Net.Sockets.NetworkStream] $To, [int] $Count) {
        <# Writes $Count one-byte chunks 20 ms apart into $From; returns when each was written and when each arrived at $To
           (ms). A chunk's time is read before it is written and its arrival after it is read, so a busy machine can only
           lengthen the measured crossing, never shorten it. #>
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $sent = foreach ($i in 1..$Count) { $clock.Elapsed.TotalMilliseconds; $From.WriteByte($i); $From.Flush(); Start-Sleep -Milliseconds 20 }
        $arrived = [System.Collections.Generic.List[double]]::new()
        $buffer = [byte[]]::new(64)
        while ($arrived.Count -lt $Count) {
            $n = $To.Read($buffer, 0, $buffer.Length)
            if ($n -eq 0) { throw 'the relay closed the connection' }
            foreach ($k in 1..$n) { $arrived.Add($clock.Elapsed.TotalMilliseconds) }
        }
        [pscustomobject]@{ Sent = @($sent); Arrived = @($arrived) }
    }
}

Describe 'LatencyRelay' {
    BeforeAll {
        $script:server = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $server.Start()
        $script:delay = 300
        $script:relay = Start-Relay -Target $server.LocalEndpoint.Port -DelayMs $delay
        $script:client = [System.Net.Sockets.TcpClient]::new()
        $client.NoDelay = $true
        $client.Connect('127.0.0.1', $relay.Port)
        $script:accepted = $server.AcceptTcpClient()
        $accepted.NoDelay = $true
        # A chunk that never arrives fails the test instead of hanging the run.
        $client.ReceiveTimeout = 10000; $accepted.ReceiveTimeout = 10000
    }

    AfterAll {
        $client.Dispose(); $accepted.Dispose(); $server.Stop()
        Stop-Process -Id $relay.Process.Id -ErrorAction SilentlyContinue
    }

    It 'delays every chunk <Direction> by the one-way delay and keeps chunks in flight' -ForEach @(@{ Direction = 'to the server' }, @{ Direction = 'back to the client' }) {
        $from, $to = if ($Direction -eq 'to the server') { $client.GetStream(), $accepted.GetStream() } else { $accepted.GetStream(), $client.GetStream() }
        $m = Measure-Chunks $from $to 10

        foreach ($i in 0..9) { $m.Arrived[$i] - $m.Sent[$i] | Should -BeGreaterOrEqual ($delay - 5) -Because "chunk $i crosses the link in no less than the delay" }
        # Store-and-forward (each chunk waiting for the one before it) would spread ten chunks over nine delays or more.
        $m.Arrived[9] - $m.Arrived[0] | Should -BeLessThan (3 * $delay) -Because 'chunks already on the way are not held back by the ones behind them'
    }
}

Describe 'lab.sh start --delay-ms' {
    BeforeAll {
        $script:far = Start-TestLab -Clusters far -Options '--delay-ms', '50'
    }

    AfterAll {
        Stop-TestLab $far
    }

    It 'writes kubeconfigs that reach the API server through the relay, its certificate verified' {
        $kubeconfig = $far.Kubeconfigs['far']
        $direct = Join-Path $far.Directory 'far/direct.kubeconfig'
        $server = (Get-Content $kubeconfig | Where-Object { $_ -match 'server:' }) -replace '.*server:\s*', ''
        $server | Should -Not -BeExactly ((Get-Content $direct | Where-Object { $_ -match 'server:' }) -replace '.*server:\s*', '')
        $server | Should -BeLikeExactly 'https://127.0.0.1:*'
        Get-Content $kubeconfig -Raw | Should -Not -Match 'insecure-skip-tls-verify'

        $run = Invoke-ModuleScript -Variables @{ kubeconfig = $kubeconfig } 'Get-MeshCluster -Kubeconfig $kubeconfig -Test -Verbose | ForEach-Object Server'
        $run | Assert-NoScriptError
        $run.Output | Should -BeExactly $server
        # A call on a new connection: TCP and TLS handshakes and the request, each at least one round trip of 100 ms.
        $call = $run.Verbose -match '^far: GET /version' | Select-Object -First 1
        $call | Should -Not -BeNullOrEmpty
        [int]($call -replace '.*\((\d+) ms.*', '$1') | Should -BeGreaterOrEqual 200
    }
}
