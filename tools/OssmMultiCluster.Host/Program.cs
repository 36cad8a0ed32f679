using System.Management.Automation;
using System.Management.Automation.Runspaces;
var iss = InitialSessionState.CreateDefault2();
using var ps = PowerShell.Create(iss);
ps.AddScript("Get-Command -Module Microsoft.PowerShell.Utility | Measure-Object | % Count; $PSVersionTable.PSVersion.ToString(); 'x' | Out-String");
foreach (var o in ps.Invoke()) Console.WriteLine(o);
foreach (var e in ps.Streams.Error) Console.WriteLine("ERR " + e);
