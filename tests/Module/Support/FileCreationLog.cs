// Loaded by tests/Module/SecretHygiene.Tests.ps1 with Add-Type (with SecretScanner.cs and ObjectText.cs).
#nullable enable
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;

namespace OssmTest.SecretHygiene;

/// <summary>
/// Every name created in a folder tree while it is watched (inotify through FileSystemWatcher), files removed again
/// included: a staging file that lived a millisecond is still in the log. inotify watches a folder only once .NET has
/// added it, so folders the code under test writes into should exist before watching starts.
/// </summary>
public sealed class FileCreationLog : IDisposable
{
    private const string SentinelPrefix = ".creation-log-sentinel-";
    private readonly FileSystemWatcher _watcher;
    private readonly ConcurrentQueue<string> _created = new();
    private readonly string _root;

    public FileCreationLog(string root)
    {
        _root = root;
        _watcher = new FileSystemWatcher(root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName,
            InternalBufferSize = 64 * 1024,
        };
        _watcher.Created += (_, e) => _created.Enqueue(e.FullPath);
        _watcher.Renamed += (_, e) => _created.Enqueue(e.FullPath);
        _watcher.Error += (_, e) => _created.Enqueue("error: " + e.GetException().Message);
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>
    /// The paths created so far, relative to the root. inotify delivers events in order, so once a sentinel file
    /// created now has been seen, every earlier creation has been too.
    /// </summary>
    public IReadOnlyList<string> Created()
    {
        var sentinel = Path.Combine(_root, SentinelPrefix + Guid.NewGuid().ToString("N"));
        File.WriteAllText(sentinel, string.Empty);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!_created.Contains(sentinel))
        {
            if (clock.Elapsed >= TimeSpan.FromSeconds(10))
            {
                throw new TimeoutException("the sentinel's creation was never reported");
            }

            Thread.Sleep(10);
        }

        File.Delete(sentinel);
        var all = _created.ToArray();
        if (all.FirstOrDefault(p => p.StartsWith("error: ", StringComparison.Ordinal)) is { } error)
        {
            throw new IOException("the watcher failed: " + error);
        }

        return all.Where(p => !Path.GetFileName(p).StartsWith(SentinelPrefix, StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(_root, p)).Distinct().ToList();
    }

    public void Dispose() => _watcher.Dispose();

    /// <summary>Files below <paramref name="root"/> changed since <paramref name="since"/> whose bytes contain <paramref name="needle"/>.</summary>
    public static IEnumerable<string> FilesContaining(string root, string needle, DateTime since)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var file in Directory.EnumerateFiles(root, "*", options))
        {
            string text;
            try
            {
                // Empty entries cannot hold the needle, and reading one that is a named pipe (PowerShell's remoting
                // pipes live in the temp folder) would block forever: FIFOs and sockets have length 0.
                var info = new FileInfo(file);
                if (info.LastWriteTimeUtc < since || info.Length == 0 || info.Length > 4 * 1024 * 1024)
                {
                    continue;
                }

                text = File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (text.Contains(needle, StringComparison.Ordinal))
            {
                yield return file;
            }
        }
    }
}
