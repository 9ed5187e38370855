using System.Reflection;
using Chat.Api.Authorization;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Chat.UnitTests;

/// <summary>The caller's session as a handler parameter, and the system-admin check of the admin route groups.</summary>
public sealed class AccessTests
{
    private static readonly Session Member = new() { Id = Ids.New(), UserId = Ids.New(), Roles = Roles.SystemUser, CsrfToken = "" };
    private static readonly Session Admin = Member with { Roles = $"{Roles.SystemUser} {Roles.SystemAdmin}" };

    private static readonly IServiceProvider Services = WebApplication.CreateSlimBuilder().Build().Services;

    private static ParameterInfo ParameterOf(string method) =>
        typeof(AccessTests).GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static)!.GetParameters()[0];

    private static string Required(Session session) => session.Id;

    private static string? Optional(Session? session) => session?.Id;

    [Fact]
    public async Task A_session_parameter_is_the_authenticated_session()
    {
        var context = new DefaultHttpContext();
        context.Features.Set(Member);
        Assert.Same(Member, await Session.BindAsync(context, ParameterOf(nameof(Required))));
        Assert.Same(Member, await Session.BindAsync(context, ParameterOf(nameof(Optional))));
    }

    [Fact]
    public async Task Without_a_session_a_required_parameter_is_a_401_and_an_optional_one_is_null()
    {
        var context = new DefaultHttpContext();
        var error = await Assert.ThrowsAsync<AppErrorException>(async () => await Session.BindAsync(context, ParameterOf(nameof(Required))));
        Assert.Equal(401, error.StatusCode);
        Assert.Equal("api.context.session_expired.app_error", error.Id);
        Assert.Null(await Session.BindAsync(context, ParameterOf(nameof(Optional))));
    }

    [Fact]
    public async Task An_admin_group_requires_authentication_and_answers_403_to_anyone_but_a_system_admin()
    {
        var endpoint = AdminEndpoint(group => group.RequireSystemAdmin());
        Assert.NotEmpty(endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>());

        var error = await Assert.ThrowsAsync<AppErrorException>(() => InvokeAsync(endpoint, Member));
        Assert.Equal(403, error.StatusCode);
        Assert.Equal("api.context.permissions.app_error", error.Id);
        Assert.Equal(401, (await Assert.ThrowsAsync<AppErrorException>(() => InvokeAsync(endpoint, null))).StatusCode);
        Assert.Equal(StatusCodes.Status200OK, (await InvokeAsync(endpoint, Admin)).Response.StatusCode);
    }

    [Fact]
    public async Task Filters_added_before_the_admin_check_run_first()
    {
        var endpoint = AdminEndpoint(group => group
            .AddEndpointFilter((_, _) => throw new AppErrorException(403, "app.plugin.disabled.app_error", "off"))
            .RequireSystemAdmin());
        Assert.Equal("app.plugin.disabled.app_error", (await Assert.ThrowsAsync<AppErrorException>(() => InvokeAsync(endpoint, Member))).Id);
    }

    private static RouteEndpoint AdminEndpoint(Action<RouteGroupBuilder> configure)
    {
        var app = WebApplication.CreateSlimBuilder().Build();
        var group = app.MapGroup("/admin");
        configure(group);
        group.MapGet("/", () => "ok");
        return ((IEndpointRouteBuilder)app).DataSources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>().Single();
    }

    private static async Task<HttpContext> InvokeAsync(RouteEndpoint endpoint, Session? session)
    {
        var context = new DefaultHttpContext { RequestServices = Services };
        if (session is not null)
        {
            context.Features.Set(session);
        }
        await endpoint.RequestDelegate!(context);
        return context;
    }
}
