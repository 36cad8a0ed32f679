// Loaded by tests/Module/SecretHygiene.Tests.ps1 with Add-Type (with SecretScanner.cs and FileCreationLog.cs).
#nullable enable
using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace OssmTest.SecretHygiene;

/// <summary>The text an object or an error record can show a user, for the secret scanner to search.</summary>
public static class ObjectText
{
    /// <summary>ToString and every property value (PowerShell's view of the object: adapted and extended properties), two levels down; byte arrays also as base64 and hex.</summary>
    public static string Describe(object? root)
    {
        var text = new StringBuilder();
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        void Walk(object? value, int depth)
        {
            switch (value)
            {
                case null:
                    return;
                case PSObject pso when pso.BaseObject is not PSCustomObject:
                    value = pso.BaseObject;
                    break;
            }

            if (value is byte[] bytes)
            {
                text.AppendLine(Convert.ToBase64String(bytes)).AppendLine(Convert.ToHexString(bytes));
                return;
            }

            text.AppendLine(value.ToString());
            if (depth >= 3 || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !visited.Add(value))
            {
                return;
            }

            if (value is IEnumerable items)
            {
                foreach (var item in items.Cast<object?>().Take(50))
                {
                    Walk(item, depth + 1);
                }

                return;
            }

            foreach (var property in PSObject.AsPSObject(value).Properties)
            {
                object? propertyValue;
                try
                {
                    propertyValue = property.Value;
                }
                catch (Exception ex) when (ex is GetValueException or PSInvalidOperationException or TargetInvocationException or CryptographicException)
                {
                    continue;
                }

                text.Append(property.Name).Append(": ");
                Walk(propertyValue, depth + 1);
            }
        }

        Walk(root, 0);
        return text.ToString();
    }

    /// <summary>An error record's message, details, category, target, stack and position, and every exception down the inner ones.</summary>
    public static string DescribeError(ErrorRecord error)
    {
        var text = new StringBuilder()
            .AppendLine(error.ToString())
            .AppendLine(error.ErrorDetails?.Message)
            .AppendLine(error.ErrorDetails?.RecommendedAction)
            .AppendLine(error.CategoryInfo.ToString())
            .AppendLine(error.TargetObject?.ToString())
            .AppendLine(error.ScriptStackTrace)
            .AppendLine(error.InvocationInfo?.PositionMessage);
        for (var ex = error.Exception; ex is not null; ex = ex.InnerException)
        {
            text.AppendLine(ex.ToString());
        }

        return text.ToString();
    }
}
