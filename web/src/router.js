import { createRouter, createWebHistory } from 'vue-router'
import { comingEntries } from './menu.js'
import PortalPage from './pages/PortalPage.vue'
import HomePage from './pages/HomePage.vue'
import EntityList from './pages/EntityList.vue'
import EntityForm from './pages/EntityForm.vue'
import ImportPage from './pages/ImportPage.vue'
import ComingPage from './pages/ComingPage.vue'
import NotFoundPage from './pages/NotFoundPage.vue'

const routes = [
  { path: '/', redirect: '/portal' },
  { path: '/portal', component: PortalPage, meta: { title: '门户' } },
  { path: '/home', component: HomePage, meta: { title: '个人首页' } },
  { path: '/base/import', component: ImportPage, meta: { title: '批量导入' } },
  { path: '/base/:entity', component: EntityList, props: true },
  { path: '/base/:entity/new', component: EntityForm, props: (r) => ({ entity: r.params.entity, id: null }) },
  { path: '/base/:entity/:id', component: EntityForm, props: true },
  ...comingEntries().map((e) => ({
    path: e.path,
    component: ComingPage,
    props: { entry: e },
    meta: { title: e.title },
  })),
  { path: '/:rest(.*)*', component: NotFoundPage, meta: { title: '页面不存在' } },
]

const router = createRouter({ history: createWebHistory('/'), routes })

router.afterEach((to) => {
  const t = to.meta?.title
  document.title = t ? `${t} - TwinDraw 双随机一公开监管平台` : 'TwinDraw 双随机一公开监管平台'
})

export default router
