// The printable form F.1 of a job (JOB-6): the inspector's copy under /api/jobs and the
// reviewer's under /api/results, both a PDF drawn by workflows/job-pdf.cpp from what
// jobs::get() shows the actor (404 when the job is not theirs to see).
#include "server/app.hpp"
#include "server/request-params.hpp"
#include "workflows/job-pdf.hpp"
#include "workflows/jobs.hpp"

namespace twindraw::server {

namespace {

Response form_pdf(App& app, const Request& req) {
    const flow::FlowActor actor = params::flow_actor(req);
    const nlohmann::json job = jobs::get(app.pool, actor, params::path_id(req));
    std::string signature;
    for (const auto& f : job.value("files", nlohmann::json::array()))
        if (f.value("kind", "") == "signature" && f.value("content_type", "") == "image/png")
            signature = jobs::get_file(app.pool, app.data_dir, actor, f["id"].get<long long>()).bytes;
    return Response::download(jobs::form_pdf(job, signature), "application/pdf",
                              "检查情况记录表-" + job.value("job_no", std::string()) + ".pdf");
}

}  // namespace

void register_job_print_routes(Router& router, App& app) {
    router.add({"GET", "/api/jobs/{id}/form.pdf", "job.submit", "打印检查情况记录表（F.1，PDF）", "检查作业",
                [&app](const Request& req) { return form_pdf(app, req); }});
    router.add({"GET", "/api/results/{id}/form.pdf", "result.review", "打印检查情况记录表（F.1，PDF）", "结果审核",
                [&app](const Request& req) { return form_pdf(app, req); }});
}

}  // namespace twindraw::server
